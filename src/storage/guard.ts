/**
 * The storage boundary: an error of a database driver (better-sqlite3's SqliteError, pg's DatabaseError, a
 * connection refused, reset or ended) leaves a store only as a DriverError, a StorageError with the driver's
 * error as its cause, so that no layer above storage needs to know which driver ran. Every other error
 * (FinishedTrialError, UsageError, tfsweep's own bugs) passes unchanged.
 */
import { StorageError, errorMessage } from '../errors.js';
import type { ModelStore, Storage } from './storage.js';

/** A database driver's error, wrapped once; its `cause` is the driver's error (with its code: SQLITE_FULL, 40P01 …). */
export class DriverError extends StorageError {
  override name = 'DriverError';
}

/** The calls of the Storage interface: each is wrapped by every store. */
export const STORAGE_CALLS = [
  'joinSweep', 'registerProcess', 'beat', 'reap', 'endProcess', 'listProcesses', 'requestStop', 'claimTrial', 'runClock',
  'finishSweep', 'getSweep', 'listSweeps', 'setSweepState', 'restateFinished', 'setTrialBackend',
  'recordEpoch', 'completeTrial', 'pruneTrial', 'setTestMetrics', 'setModelPath', 'failTrial', 'listTrials', 'close',
  'insertTrials', 'saveCheckpoint', 'loadCheckpoint', 'setNote', 'renameSweep', 'deleteSweep',
] as const satisfies ReadonlyArray<keyof Storage>;

const MODEL_CALLS = ['save', 'load', 'remove', 'removeOrphans', 'put'] as const satisfies ReadonlyArray<keyof ModelStore>;

const CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH)$/;

/** Whether `err` comes from a database driver: the database refused, failed, or could not be reached. */
function isDriverFailure(err: unknown): boolean {
  if (err instanceof StorageError || !err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (e.name === 'SqliteError') return true;
  if (e.name === 'DatabaseError' && typeof e.code === 'string') return true;
  if (typeof e.code === 'string' && CONNECTION_CODES.test(e.code)) return true;
  return typeof e.message === 'string' && /^Connection terminated|timeout exceeded when trying to connect/.test(e.message);
}

function wrapped(err: unknown, call: string): unknown {
  if (!isDriverFailure(err)) return err;
  const code = (err as { code?: unknown }).code;
  const verb = /^(get|list|load)/.test(call) ? 'read' : 'written';
  return new DriverError(`the database could not be ${verb} (${typeof code === 'string' ? code : 'error'}: ${errorMessage(err)})`, { cause: err });
}

/** Replaces each of `calls` on `target` by a call that turns a driver's error into a DriverError. */
function guard<T extends object>(target: T, calls: readonly string[]): void {
  const methods = target as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of calls) {
    const call = methods[name]!;
    methods[name] = (...args: unknown[]) => {
      try {
        const out = call.apply(target, args);
        return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(wrapped(err, name))) : out;
      } catch (err) {
        throw wrapped(err, name);
      }
    };
  }
}

/** Wraps a store's calls (and its model store's) at the boundary; called once, as the store is made. */
export function guardStorage(store: Storage): void {
  guard(store, STORAGE_CALLS);
  if (store.models) guard(store.models, MODEL_CALLS);
}
