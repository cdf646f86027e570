/**
 * The sweep's state as this process knows it: counts of every process's trials, the range of complete values
 * (the best is one end of it, by the goal), and what follows from them: the best value, whether metric.target
 * is reached, whether any trial is left. Taken in from a full history or a claim view, and kept current with
 * this process's own claims and results in between (no read of the database for those).
 */
import { bestOfRange, targetReached, type MetricSpec } from '../core/metric.js';
import { claimViewOf, type ClaimView, type TrialRecord, type TrialSettlement } from '../core/records.js';

/** What the sweep's counts read as from outside: a Tally, read-only. */
export interface SweepProgress {
  /** Finished trials (complete and pruned), of every process. */
  readonly completed: number;
  readonly pruned: number;
  readonly failed: number;
  /** Running trials of every process. */
  readonly running: number;
  /** The best value of the complete trials, or null before one completes. */
  readonly best: number | null;
  /** Finished trials the sweep aims at (run_cap and grid size), or null when unbounded. */
  readonly planned: number | null;
  /** No trial is left to run anywhere. */
  readonly done: boolean;
}

export class Tally implements SweepProgress {
  completed = 0;
  running = 0;
  reruns = 0;
  failed = 0;
  pruned = 0;
  /** The sampler said the space has no configuration left. */
  exhausted = false;
  /** Trials from outside the sampler's sequence (enqueued, imported). */
  outside = 0;
  private range: { minValue: number | null; maxValue: number | null } = { minValue: null, maxValue: null };

  constructor(
    private readonly metric: MetricSpec,
    /** Completed trials the sweep aims at, or null when unbounded. */
    readonly planned: number | null,
    private readonly options: { maxAttempts?: number; gridCap?: boolean } = {},
  ) {}

  /** Takes in the sweep's state from a full history (every count) or a claim view (what it holds). */
  absorb(from: readonly TrialRecord[] | ClaimView): void {
    const view = Array.isArray(from) ? claimViewOf(from as TrialRecord[], this.options.maxAttempts ?? 1) : (from as ClaimView);
    this.completed = view.completed;
    this.outside = view.outside;
    this.range = { minValue: view.minValue, maxValue: view.maxValue };
    this.running = view.runningConfigs.length;
    this.reruns = view.reruns.length;
    if (Array.isArray(from)) {
      this.failed = from.filter((t) => t.state === 'failed').length;
      this.pruned = from.filter((t) => t.state === 'pruned').length;
    }
  }

  /** This process claimed a trial (a re-run of an interrupted configuration, or a new one). */
  claimed(rerun: boolean): void {
    this.running++;
    if (rerun) this.reruns--;
  }

  /** One of this process's trials settled; the next read brings in what other processes finished meanwhile. */
  settled(s: TrialSettlement): void {
    this.running = Math.max(0, this.running - 1);
    if (s.state === 'complete' && s.value !== null) {
      this.completed++;
      this.range = {
        minValue: this.range.minValue === null ? s.value : Math.min(this.range.minValue, s.value),
        maxValue: this.range.maxValue === null ? s.value : Math.max(this.range.maxValue, s.value),
      };
    }
    if (s.state === 'pruned') {
      this.completed++;
      this.pruned++;
    }
    if (s.state === 'failed') this.failed++;
  }

  /** The best value of the whole sweep's complete trials, as far as known. */
  get best(): number | null {
    return bestOfRange(this.metric.goal, this.range);
  }

  /** W&B's metric.target: some complete trial's value reached it. */
  get targetReached(): boolean {
    return targetReached(this.metric, this.best);
  }

  /** True when no trial is left to run anywhere: the target or the cap is met, or the space is exhausted and nothing runs. */
  get done(): boolean {
    if (this.targetReached) return true;
    // A grid without run_cap runs enqueued trials on top of its own.
    if (this.completed >= (this.planned === null ? Infinity : this.planned + (this.options.gridCap ? this.outside : 0))) return true;
    return this.exhausted && this.running === 0 && this.reruns === 0;
  }

  /** How the finished sweep is summed up: its counts, and the target when it ended the sweep. */
  finishedMessage(): string {
    const pruned = this.pruned ? `, ${this.pruned} pruned` : '';
    const counts = `${this.completed - this.pruned} trial(s) complete${pruned}${this.failed ? `, ${this.failed} failed` : ''}`;
    return this.targetReached ? `metric.target ${this.metric.target} reached (best ${this.best}); ${counts}` : counts;
  }
}
