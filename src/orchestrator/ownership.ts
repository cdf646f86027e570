/**
 * Who is running a sweep. A sweep row names its owner as `host/pid` and the owner refreshes a heartbeat; a
 * second `tfsweep run` of the same sweep is refused while the owner lives, so two processes never dispatch
 * the same configurations. An owner that died (kill -9, power cut) is recognised and replaced.
 */
import os from 'node:os';
import type { SweepRecord } from '../core/records.js';

export const HEARTBEAT_MS = 10_000;
/**
 * An owner is presumed dead after this long without a heartbeat: on another host always, and on this host
 * too, because a dead owner's pid may since have been given to an unrelated process (quickly, in containers).
 */
const STALE_MS = 6 * HEARTBEAT_MS;

export function ownerId(): string {
  return `${os.hostname()}/${process.pid}`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function ownerIsGone(sweep: SweepRecord, nowMs = Date.now()): boolean {
  if (!sweep.owner) return true;
  const slash = sweep.owner.lastIndexOf('/');
  const host = sweep.owner.slice(0, slash);
  const pid = Number(sweep.owner.slice(slash + 1));
  const beat = sweep.heartbeatAt ? Date.parse(sweep.heartbeatAt) : 0;
  const stale = !(nowMs - beat <= STALE_MS);
  if (host === os.hostname()) return !Number.isInteger(pid) || !pidAlive(pid) || stale;
  return stale;
}
