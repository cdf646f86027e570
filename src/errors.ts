/**
 * The three kinds of error tfsweep distinguishes (see README, "Errors and exit codes"):
 * - SpecError: the user's input is wrong (bad sweep file, bad flag). Exit 2, nothing written.
 * - TrialError: one trial failed. Recorded on the trial; the sweep goes on.
 * - everything else is fatal: the sweep stops cleanly, exit 1.
 */
export class SpecError extends Error {
  override name = 'SpecError';
  readonly exitCode = 2;
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

/** Bad input that is not a sweep file: unknown sweep name, bad flag value. Exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = 2;
}

/** A trial's own failure: the message is stored on the trial. */
export class TrialError extends Error {
  override name = 'TrialError';
}

export function errorMessage(err: unknown): string {
  if (err instanceof SpecError) return err.format();
  if (err instanceof Error) return err.message;
  return String(err);
}
