import type { SweepSpec } from '../spec/types.js';
import type { EpochRecord, ExecutionRecord, Metrics, NewTrial, SweepRecord, SweepState, TrialRecord, TrialState } from '../core/records.js';

export type { EpochRecord, ExecutionRecord, Goal, Metrics, NewTrial, SweepRecord, SweepState, TrialRecord, TrialState } from '../core/records.js';

/**
 * Everything tfsweep persists. Within a process only the orchestrator's thread calls the mutating methods;
 * several processes (running different sweeps, or reading) may share one store, so every write that depends
 * on a read is one transaction holding the write lock, and each listing is one consistent snapshot.
 */
/** A write to a trial that is not running: its result is final (or it was interrupted, or never existed). */
export class FinishedTrialError extends Error {
  override name = 'FinishedTrialError';
  constructor(
    readonly trialId: number,
    readonly state: TrialState | null,
    what: string,
  ) {
    super(state === null ? `trial id ${trialId} does not exist; ${what} was not recorded` : `trial id ${trialId} is ${state}, not running; ${what} was not recorded (a finished trial does not change)`);
  }
}

export interface Storage {
  /** Where the data lives, as it may be printed (a file path, or a URL without its password). */
  readonly location: string;
  /** The SQLite file, whose folder also holds saved models; null for a database on a server. */
  readonly localFile: string | null;
  createSweep(spec: SweepSpec, source: string): Promise<SweepRecord>;
  /**
   * Atomically creates the sweep (when new) or takes it over (when it has no live owner) for `owner`, and
   * marks it running. Two processes starting the same sweep cannot both get it: the loser gets `busy`.
   */
  acquireSweep(spec: SweepSpec, source: string, owner: string, isStale: (sweep: SweepRecord) => boolean): Promise<{ sweep: SweepRecord; created: boolean } | { busy: SweepRecord }>;
  heartbeat(sweepId: number, owner: string): Promise<void>;
  getSweep(name: string): Promise<SweepRecord | undefined>;
  listSweeps(): Promise<SweepRecord[]>;
  /** Sets the state; leaving `running` also releases the owner. */
  setSweepState(sweepId: number, state: SweepState, message?: string | null): Promise<void>;
  /** Marks the sweep's queued and running trials interrupted (after a crash or Ctrl-C); returns how many. */
  interruptActiveTrials(sweepId: number): Promise<number>;
  /** Creates the next-numbered trial in state running; its distributions are the sweep's, stored once. */
  startTrial(sweepId: number, trial: NewTrial): Promise<TrialRecord>;
  setTrialBackend(trialId: number, backend: string): Promise<void>;
  /** Stores one epoch; a repeated epoch number is ignored (the result message may repeat what epoch messages said). */
  recordEpoch(trialId: number, epoch: EpochRecord): Promise<void>;
  /** `note` is kept in `error` although the trial completed (e.g. its model could not be saved). */
  completeTrial(trialId: number, value: number, metrics: Metrics, epochs: readonly EpochRecord[], executions?: readonly ExecutionRecord[], note?: string | null): Promise<void>;
  setTestMetrics(trialId: number, metrics: Metrics): Promise<void>;
  setModelPath(trialId: number, path: string | null): Promise<void>;
  failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): Promise<void>;
  getTrial(trialId: number): Promise<TrialRecord | undefined>;
  /** withEpochs also loads every trial's epochs and executions. */
  listTrials(sweepId: number, options?: { withEpochs?: boolean }): Promise<TrialRecord[]>;
  close(): Promise<void>;
}
