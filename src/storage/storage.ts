import type { Distribution, Params } from '../space/distributions.js';
import type { SweepSpec } from '../spec/types.js';

export type TrialState = 'queued' | 'running' | 'complete' | 'failed' | 'interrupted';
export type SweepState = 'running' | 'finished' | 'stopped';
export type Metrics = Record<string, number>;

export interface SweepRecord {
  id: number;
  name: string;
  method: string;
  metric: { name: string; goal: 'maximize' | 'minimize' };
  state: SweepState;
  /** The sweep file's text as given. */
  source: string;
  /** The validated spec with defaults and the seed filled in. */
  spec: SweepSpec;
  message: string | null;
  /** The process running the sweep now (`host/pid`), or null when none is. */
  owner: string | null;
  /** When the owner last said it was alive. */
  heartbeatAt: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface EpochRecord {
  /** Which execution of the trial (executions_per_trial); 0 when there is one. */
  execution?: number;
  epoch: number;
  metrics: Metrics;
  durationMs: number | null;
  samples: number | null;
}

/** An immutable snapshot of a trial as storage holds it. */
export interface TrialRecord {
  id: number;
  sweepId: number;
  number: number;
  /** Which configuration of the sampler's sequence this trial runs; a re-run after an interruption shares it. */
  configIndex: number;
  state: TrialState;
  params: Params;
  distributions: Record<string, Distribution>;
  value: number | null;
  metrics: Metrics | null;
  seed: number;
  backend: string | null;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  /** Metrics of the chosen model on the test split (evaluated once, after the sweep). */
  testMetrics?: Metrics | null;
  /** Folder of the saved model (tfjs format), when one was saved. */
  modelPath?: string | null;
  epochs?: EpochRecord[];
  executions?: ExecutionRecord[];
}

/** One of a trial's repeated trainings (executions_per_trial); the trial's value is their mean. */
export interface ExecutionRecord {
  execution: number;
  seed: number;
  value: number | null;
  metrics: Metrics;
  stoppedEpoch: number | null;
  bestEpoch: number | null;
}

export interface NewTrial {
  configIndex: number;
  params: Params;
  distributions: Record<string, Distribution>;
  seed: number;
}

/**
 * Everything tfsweep persists. Within a process only the orchestrator's thread calls the mutating methods;
 * several processes (running different sweeps, or reading) may share one store, so every write that depends
 * on a read is one transaction holding the write lock, and each listing is one consistent snapshot.
 */
export interface Storage {
  createSweep(spec: SweepSpec, source: string): SweepRecord;
  /**
   * Atomically creates the sweep (when new) or takes it over (when it has no live owner) for `owner`, and
   * marks it running. Two processes starting the same sweep cannot both get it: the loser gets `busy`.
   */
  acquireSweep(spec: SweepSpec, source: string, owner: string, isStale: (sweep: SweepRecord) => boolean): { sweep: SweepRecord; created: boolean } | { busy: SweepRecord };
  heartbeat(sweepId: number, owner: string): void;
  getSweep(name: string): SweepRecord | undefined;
  listSweeps(): SweepRecord[];
  /** Sets the state; leaving `running` also releases the owner. */
  setSweepState(sweepId: number, state: SweepState, message?: string | null): void;
  /** Marks the sweep's queued and running trials interrupted (after a crash or Ctrl-C); returns how many. */
  interruptActiveTrials(sweepId: number): number;
  /** Creates the next-numbered trial in state running; its distributions are the sweep's, stored once. */
  startTrial(sweepId: number, trial: NewTrial): TrialRecord;
  setTrialBackend(trialId: number, backend: string): void;
  /** Stores one epoch; a repeated epoch number is ignored (the result message may repeat what epoch messages said). */
  recordEpoch(trialId: number, epoch: EpochRecord): void;
  /** `note` is kept in `error` although the trial completed (e.g. its model could not be saved). */
  completeTrial(trialId: number, value: number, metrics: Metrics, epochs: readonly EpochRecord[], executions?: readonly ExecutionRecord[], note?: string | null): void;
  setTestMetrics(trialId: number, metrics: Metrics): void;
  setModelPath(trialId: number, path: string | null): void;
  failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): void;
  getTrial(trialId: number): TrialRecord | undefined;
  /** withEpochs also loads every trial's epochs and executions. */
  listTrials(sweepId: number, options?: { withEpochs?: boolean }): TrialRecord[];
  close(): void;
}
