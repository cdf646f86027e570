/**
 * How both stores wait for a lock another process holds: the call is tried again until it gets through
 * (each attempt is one statement or one transaction, rolled back whole when it meets the lock), and the wait
 * is said after a few seconds, then now and then, so that a person sees why nothing moves.
 */
import { setTimeout as delay } from 'node:timers/promises';

/** After how long a wait for a lock is first said, then how often again. */
const FIRST_NOTICE_MS = 3_000;
const NOTICE_EVERY_MS = 15_000;

export interface LockWait {
  /** Whether an error means the lock was held (the call may be tried again). */
  locked(err: unknown): boolean;
  /**
   * Called after each attempt that met the lock: may act on the holder, and says why it waits when
   * `sayWhy` (returns true when it said something).
   */
  held(waitedMs: number, sayWhy: boolean): boolean | Promise<boolean>;
  /** Pause between attempts, in ms (0: the attempt itself waited). */
  pauseMs: () => number;
}

export async function waitForLock<T>(call: () => Promise<T>, how: LockWait): Promise<T> {
  const started = Date.now();
  let nextNotice = started + FIRST_NOTICE_MS;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!how.locked(err)) throw err;
    }
    if (await how.held(Date.now() - started, Date.now() >= nextNotice)) nextNotice = Date.now() + NOTICE_EVERY_MS;
    const pause = how.pauseMs();
    if (pause > 0) await delay(pause);
  }
}
