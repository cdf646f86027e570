/**
 * A process's copy of a sweep's trial history, for the samplers that learn from it (TPE). Reading the whole
 * history at every claim costs O(trials) each time, O(trials²) over a sweep; but a trial that settled
 * (complete, pruned) never changes in what a sampler reads (an interrupted trial resumes, a failed one may be
 * retried: both are read again), so each claim reads only the trials
 * created since the last one and those that were still running or queued then. The read happens inside the
 * claim's transaction, after its lock, so the merged history is exactly what a full read would give.
 */
import type { TrialRecord, TrialState } from '../core/records.js';

/** States a trial can still leave: re-read at every claim until they are settled. */
const UNSETTLED: ReadonlySet<TrialState> = new Set(['running', 'queued', 'interrupted', 'failed']);

/** What to read since the last claim: trials with an id above `since`, and the trials `unsettled`. */
export interface HistoryDelta {
  since: number;
  unsettled: number[];
}

export class HistoryCache {
  private readonly sweeps = new Map<number, { trials: Map<number, TrialRecord>; maxId: number }>();

  /** What to read for this sweep, or null when nothing is cached yet (read every trial). */
  delta(sweepId: number): HistoryDelta | null {
    const cached = this.sweeps.get(sweepId);
    if (!cached) return null;
    const unsettled: number[] = [];
    for (const t of cached.trials.values()) if (UNSETTLED.has(t.state)) unsettled.push(t.id);
    return { since: cached.maxId, unsettled };
  }

  /** Merges what was read (all trials when `delta` gave null) and returns the whole history by number. */
  merge(sweepId: number, read: readonly TrialRecord[]): TrialRecord[] {
    let cached = this.sweeps.get(sweepId);
    if (!cached) this.sweeps.set(sweepId, (cached = { trials: new Map(), maxId: 0 }));
    for (const t of read) {
      cached.trials.set(t.id, t);
      if (t.id > cached.maxId) cached.maxId = t.id;
    }
    return [...cached.trials.values()].sort((a, b) => a.number - b.number);
  }
}
