/**
 * The three kinds of error tfsweep distinguishes (see README, "Errors and exit codes"):
 * - SpecError / UsageError: the user's input is wrong (bad sweep file, flag, database file, output path).
 *   Exit 2, one line, nothing written.
 * - TrialError: one trial failed. Recorded on the trial; the sweep goes on.
 * - everything else is fatal: the sweep stops cleanly, exit 1; the trials in flight are interrupted (they run
 *   again on resume) and never count as failed. StorageError (disk full, database locked for too long, the
 *   driver's errors, wrapped once where storage is called) and WorkerError (a worker thread crashed, ran out
 *   of memory or was ended) are the fatal kinds explained in one line; anything else is a bug of tfsweep's
 *   and keeps its stack trace.
 */
export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    message: string,
    readonly file?: string,
    readonly path?: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** One line: `file:line: field.path: message`, the parts that are known. */
  format(): string {
    const where = [this.file ? (this.line ? `${this.file}:${this.line}` : this.file) : undefined, this.path]
      .filter((part) => part !== undefined && part !== '')
      .join(': ');
    return where ? `${where}: ${this.message}` : this.message;
  }
}

/** Bad input that is not a sweep file: unknown sweep name, bad flag value, unusable path. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A trial's own failure: the message is stored on the trial. */
export class TrialError extends Error {
  override name = 'TrialError';
}

/** The database could not be written or read while a sweep ran: fatal (exit 1), but explained in one line. */
export class StorageError extends Error {
  override name = 'StorageError';
}

/** A worker thread ended while it ran a trial (not the trial's own error): fatal (exit 1), explained in one line. */
export class WorkerError extends Error {
  override name = 'WorkerError';
}

/** How a thrown value reads in one line: an Error's message; anything else as JSON where it can be. */
export function errorMessage(err: unknown): string {
  if (err instanceof SpecError) return err.format();
  if (err instanceof Error) return err.message;
  if (err !== null && typeof err === 'object') {
    try {
      return `a non-Error value was thrown: ${JSON.stringify(err)}`;
    } catch {
      return `a non-Error value was thrown: ${Object.prototype.toString.call(err)}`;
    }
  }
  return String(err);
}

/** The errno code of a Node system error, if it is one. */
export function errnoCode(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string' ? (err as { code: string }).code : undefined;
}
