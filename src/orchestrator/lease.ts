/**
 * This process's lease on its part of a sweep: its row in `processes`, renewed every heartbeat. Each beat
 * also picks up a `tfsweep stop` asked through the database and declares silent peers gone (their running
 * trials become interrupted, to run again). A process that finds itself declared gone stops at once: its
 * trials already run elsewhere. Policy (who is gone, after how long) is in core/ownership.ts.
 */
import type { ProcessIdentity, ProcessRecord, StopRequest } from '../core/records.js';
import type { Storage } from '../storage/storage.js';
import { deadLocally, heartbeatMs, leaseGraceMs, processIdentity } from '../core/ownership.js';

export class Lease {
  /** A `tfsweep stop` asked for (drain or now), or null. */
  requested: StopRequest | null = null;
  /** Another process declared this one gone. */
  declaredGone = false;
  /** Called when this process must start no new trial, with the reason (the sweep keeps the first). */
  onHalt: (reason: string) => void = () => {};
  private readonly heartbeat: NodeJS.Timeout;
  private readonly stopNow = new AbortController();

  private constructor(
    private readonly storage: Storage,
    private readonly sweepId: number,
    readonly process: ProcessRecord,
  ) {
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs());
    this.heartbeat.unref();
  }

  /**
   * Registers this process in the sweep and declares gone the peers that are (their trials become
   * interrupted). The grace is recorded with the process: every peer judges its silence by its own setting.
   */
  static async take(storage: Storage, sweepId: number, options: { identity?: ProcessIdentity; workers?: number }): Promise<{ lease: Lease; interrupted: number }> {
    const proc = await storage.registerProcess(sweepId, options.identity ?? processIdentity(), options.workers ?? 1, leaseGraceMs());
    const interrupted = await storage.reap(sweepId, leaseGraceMs(), deadLocally);
    return { lease: new Lease(storage, sweepId, proc), interrupted };
  }

  /** Declares gone the peers that are; returns how many running trials that interrupted. */
  reap(): Promise<number> {
    return this.storage.reap(this.sweepId, leaseGraceMs(), deadLocally);
  }

  /** Renews the lease, picks up stop requests, and declares silent processes gone. */
  private async beat(): Promise<void> {
    try {
      const { gone, stop } = await this.storage.beat(this.process.id);
      if (gone) {
        this.goneElsewhere();
      } else if (stop) {
        this.requested = stop;
        this.onHalt(stop === 'now' ? 'stopped by `tfsweep stop --now`' : 'stopped by `tfsweep stop`');
        if (stop === 'now') this.stopNow.abort();
      }
      await this.reap();
    } catch {
      // A heartbeat that cannot be written (database busy, full, unreachable) is skipped: the next one says
      // the same, and the grace period is several heartbeats long.
    }
  }

  /**
   * After a write was refused because the trial is no longer running: asks the database whether this
   * process was declared gone (its trials then run elsewhere). If so, it stops as it would at its next
   * heartbeat, and this returns true; false means the refusal has another cause.
   */
  async lost(): Promise<boolean> {
    if (this.declaredGone) return true;
    let gone = false;
    try {
      gone = (await this.storage.beat(this.process.id)).gone;
    } catch {
      return false;
    }
    if (gone) this.goneElsewhere();
    return gone;
  }

  private goneElsewhere(): void {
    this.declaredGone = true;
    this.onHalt(`this process was declared gone by another (no heartbeat within ${leaseGraceMs() / 1000} s); its trials run elsewhere`);
    this.stopNow.abort();
  }

  /** Aborted when this process must interrupt its running trials now (`tfsweep stop --now`, or declared gone). */
  get interruptSignal(): AbortSignal {
    return this.stopNow.signal;
  }

  /** Leaves the sweep: the heartbeat stops and this process's running trials become interrupted (returns how many). */
  async end(): Promise<number> {
    clearInterval(this.heartbeat);
    return this.storage.endProcess(this.process.id);
  }

  /** Stops the heartbeat without writing anything: for when the database itself has failed. */
  abandon(): void {
    clearInterval(this.heartbeat);
  }
}
