/** What a running sweep tells its listeners; shared by the orchestrator (which emits) and reports (which show). */
import type { SweepRecord, TrialRecord, EpochRecord } from '../core/records.js';
import type { TrialResult } from '../worker/protocol.js';

export type SweepOutcomeStatus = 'finished' | 'already-finished' | 'stopped' | 'interrupted';

export interface SweepOutcome {
  status: SweepOutcomeStatus;
  sweep: SweepRecord;
  message: string;
  /** The budget that ended the sweep, if one did: a trial reached metric.target, or max_time ran out. */
  budget?: 'target' | 'max_time' | null;
  /** `tfsweep stop` asked this process to stop (drain: running trials finished; now: interrupted). */
  stopRequested?: 'drain' | 'now' | null;
  /** Trials of the whole sweep that failed, and models of this run that could not be saved. */
  failed?: number;
  unsavedModels?: number;
}

/** What the orchestrator tells its listeners (progress display, logs, tests), in the order it happens. */
export type SweepEvent =
  | {
      type: 'sweep-start';
      sweep: SweepRecord;
      resumed: boolean;
      /** Trials found running or queued from an earlier process and marked interrupted. */
      interrupted: number;
      completed: number;
      /** Of `completed`, those stopped by the pruner. */
      pruned?: number;
      /** Completed trials the sweep aims at (run_cap and grid size), or null when unbounded. */
      planned: number | null;
      workers: number;
      /** This process's row in the sweep's processes (its lease). */
      processId: number;
    }
  | { type: 'trial-start'; trial: TrialRecord; rerun: boolean; totalEpochs: number | null }
  | { type: 'trial-backend'; trial: TrialRecord; backend: string | null }
  | { type: 'epoch'; trial: TrialRecord; epoch: EpochRecord; totalEpochs: number | null }
  | {
      type: 'trial-end';
      trial: TrialRecord;
      result?: TrialResult;
      /** Complete trials of the whole sweep (every process) and its best value, as this process last knew them. */
      completed: number;
      best: number | null;
    }
  /** Every trial is done; the best trial's model is being evaluated on the test split (once per sweep). */
  | { type: 'evaluating'; trial: TrialRecord }
  /** Something a person should know that stops nothing (a wait for the database's lock, an objective's stray error). */
  | { type: 'warning'; message: string }
  /** Something a person watching should know that is not a problem (a trial resumed from its checkpoint). */
  | { type: 'notice'; message: string }
  | { type: 'sweep-end'; outcome: SweepOutcome };

export type SweepListener = (event: SweepEvent) => void;
