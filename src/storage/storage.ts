import type { StoredSpec } from '../core/records.js';
import type { ModelFile } from '../core/records.js';
import type { HistoryDelta } from './history-cache.js';
export { HistoryCache, type HistoryDelta } from './history-cache.js';
export { MODEL_FILE_NAME, type ModelFile } from '../core/records.js';
import type { Checkpoint, ClaimChoice, ClaimView, EpochRecord, ExecutionRecord, Metrics, NewTrial, ProcessIdentity, ProcessRecord, StopRequest, SweepRecord, SweepState, TrialOrigin, TrialRecord, TrialSettlement, TrialState } from '../core/records.js';

export type { AttemptRecord, Checkpoint, ClaimChoice, ClaimView, EpochRecord, ExecutionRecord, Goal, Metrics, NewTrial, ProcessIdentity, ProcessRecord, Rerun, StopRequest, SweepRecord, SweepState, TrialOrigin, TrialRecord, TrialSettlement, TrialState } from '../core/records.js';

/**
 * A trial written whole rather than run: an enqueued one (state `queued`, to be claimed), or a finished one
 * brought in (`tfsweep import`: complete; `tfsweep copy`: as it was, with its epochs and executions).
 */
export interface InsertedTrial extends NewTrial {
  state: TrialState;
  origin: TrialOrigin | null;
  value?: number | null;
  values?: number[] | null;
  metrics?: Metrics | null;
  error?: string | null;
  note?: string | null;
  testMetrics?: Metrics | null;
  prunedStep?: number | null;
  backend?: string | null;
  startedAt?: string | null;
  endedAt?: string | null;
  attempt?: number;
  attempts?: TrialRecord['attempts'];
  epochs?: readonly EpochRecord[];
  executions?: readonly ExecutionRecord[];
}

/**
 * Everything tfsweep persists. Within a process only the orchestrator's thread calls the mutating methods;
 * several processes (running different sweeps, or reading) may share one store, so every write that depends
 * on a read is one transaction holding the write lock, and each listing is one consistent snapshot.
 */
/** A database written by a newer tfsweep (or read by a reader before a writer migrated it): exit 2. */
export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

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

/**
 * Saved models kept in the database itself, so that every machine that reaches the database reaches them
 * (a store on a server). A trial whose model is stored this way has `model_path` = `db:trial-NNNN`.
 */
export interface ModelStore {
  /**
   * Stores the files of a running trial's model and sets its `model_path`, in one transaction; returns that
   * path, or null when the trial is no longer running (its model is not kept).
   */
  save(trialId: number, files: readonly ModelFile[]): Promise<string | null>;
  /** The model's files, or null when the trial has none stored. */
  load(trialId: number): Promise<ModelFile[] | null>;
  /** Deletes the trial's model and clears its `model_path`. */
  remove(trialId: number): Promise<void>;
  /** Deletes the models of the sweep's trials that did not complete; returns how many. */
  removeOrphans(sweepId: number): Promise<number>;
  /** Stores a finished trial's model brought from elsewhere (`tfsweep copy`); returns its path. */
  put(trialId: number, files: readonly ModelFile[]): Promise<string>;
}

export interface Storage {
  /**
   * Where saved models are kept in the database (PostgreSQL); null where they are folders beside the
   * database file (SQLite).
   */
  readonly models: ModelStore | null;
  /** Where the data lives, as it may be printed (a file path, or a URL without its password). */
  readonly location: string;
  /** The SQLite file, whose folder also holds saved models; null for a database on a server. */
  readonly localFile: string | null;
  /**
   * Creates the sweep, or returns the stored one of that name, marked running again unless finished. Any
   * number of processes may join one sweep; the database hands each trial to exactly one of them.
   */
  joinSweep(spec: StoredSpec, source: string): Promise<{ sweep: SweepRecord; created: boolean }>;
  /**
   * Records a process taking part, with its lease grace (how long it may stay silent before it is declared
   * gone: every observer judges it by this, not by its own setting) and this store's session, if it has one.
   */
  registerProcess(sweepId: number, identity: ProcessIdentity, workers: number, graceMs?: number): Promise<ProcessRecord>;
  /** The process is alive (its lease is renewed); says whether a stop was asked for, or whether others declared it gone. */
  beat(processId: number): Promise<{ gone: boolean; stop: StopRequest | null }>;
  /**
   * Declares gone every running process of the sweep that has not beaten within its own recorded grace (by
   * the database's clock; `graceMs` for rows that recorded none), or that `deadLocally` says is dead, and
   * marks its running trials interrupted, in one transaction. A store on a server then ends the database
   * sessions of the processes it declared gone, so that locks they held (suspended mid-transaction, or on a
   * machine cut off) go with them. Returns the number of trials interrupted.
   */
  reap(sweepId: number, graceMs: number, deadLocally: (p: ProcessRecord) => boolean): Promise<number>;
  /** The process leaves: its running trials (if any) become interrupted. */
  endProcess(processId: number): Promise<number>;
  listProcesses(sweepId: number): Promise<ProcessRecord[]>;
  /** Asks every running process of the sweep to stop; returns how many were asked. */
  requestStop(sweepId: number, mode: StopRequest): Promise<number>;
  /**
   * Atomically: reads the sweep's state, lets `choose` pick the next trial from it (or none), and records
   * that trial as running for `processId`. Two processes never get the same trial number, and a choice made
   * from that state is never made twice. The view carries the whole history only with `history: true` (a
   * sampler that learns from it); otherwise the database computes the counts and re-runs itself, so that a
   * claim stays cheap however long the sweep.
   */
  claimTrial(sweepId: number, processId: number, choose: (view: ClaimView) => ClaimChoice | null, options?: { history?: boolean; maxAttempts?: number }): Promise<TrialRecord | null>;
  /**
   * Writes trials whole, in one transaction (all or none), numbered after the sweep's last: `make` gets each
   * one's position and a fresh configuration index outside the sampler's sequence (negative, below every one
   * taken), and says what to write. Returns the trials as stored.
   */
  insertTrials(sweepId: number, count: number, make: (i: number, configIndex: number) => InsertedTrial): Promise<TrialRecord[]>;
  /** Replaces a running trial's checkpoint (only the last is kept); refused (FinishedTrialError) when it is not running. */
  saveCheckpoint(trialId: number, checkpoint: Checkpoint): Promise<void>;
  /** The trial's last checkpoint, or null. */
  loadCheckpoint(trialId: number): Promise<Checkpoint | null>;
  /** Sets (or with null clears) the note of a sweep, or of its trial `number`; false when there is no such trial. */
  setNote(sweepId: number, trialNumber: number | null, note: string | null): Promise<boolean>;
  /** Renames a sweep; refused (UsageError) when another sweep has the name. */
  renameSweep(sweepId: number, name: string): Promise<void>;
  /** Deletes a sweep with its trials, epochs, checkpoints and the models kept in the database. */
  deleteSweep(sweepId: number): Promise<void>;
  /**
   * How long the sweep's current run has lasted, by the database's clock (max_time counts from its start);
   * `restart` first starts a new run now (the sweep is resumed with no other process running it).
   */
  runClock(sweepId: number, restart: boolean): Promise<number>;
  /** Marks a running sweep finished; true only for the one call that did (whoever finishes it finalizes it). */
  finishSweep(sweepId: number, message: string): Promise<boolean>;
  getSweep(name: string): Promise<SweepRecord | undefined>;
  listSweeps(): Promise<SweepRecord[]>;
  /** Sets a sweep's state and message, unless it is finished: a finished sweep stays finished. */
  setSweepState(sweepId: number, state: SweepState, message?: string | null): Promise<void>;
  /** Replaces a finished sweep's message (its counts, once trials that were still running then have ended). */
  restateFinished(sweepId: number, message: string): Promise<void>;
  setTrialBackend(trialId: number, backend: string): Promise<void>;
  /** Stores one epoch; a repeated epoch number is ignored (the result message may repeat what epoch messages said). */
  recordEpoch(trialId: number, epoch: EpochRecord): Promise<void>;
  /**
   * `note` is kept in `error` although the trial completed (e.g. its model could not be saved). `epochs` are
   * those not stored yet (a repeated one is ignored). This and the two below return what they settled.
   * `value` is the objective's value, or each objective's in order (several objectives): the first is then
   * also kept as the trial's value.
   */
  completeTrial(trialId: number, value: number | readonly number[], metrics: Metrics, epochs: readonly EpochRecord[], executions?: readonly ExecutionRecord[], note?: string | null): Promise<TrialSettlement>;
  /**
   * Records a trial stopped by the sweep's pruner: its epochs up to the stop, and its value and metrics at
   * the last one. A pruned trial is finished (it counts towards run_cap) but never ranked among the complete.
   */
  pruneTrial(trialId: number, value: number | null, metrics: Metrics | null, epochs: readonly EpochRecord[], step: number): Promise<TrialSettlement>;
  setTestMetrics(trialId: number, metrics: Metrics): Promise<void>;
  setModelPath(trialId: number, path: string | null): Promise<void>;
  failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): Promise<TrialSettlement>;
  /**
   * withEpochs also loads every trial's epochs and executions. `only` reads part of the sweep (see
   * HistoryCache): the trials with an id above `since` and those listed, for a reader that keeps the rest.
   */
  listTrials(sweepId: number, options?: { withEpochs?: boolean; only?: HistoryDelta | null }): Promise<TrialRecord[]>;
  /**
   * Where the store says why it waits (another process holds the database's lock); set by whoever runs a
   * sweep on it, so that a person sees why nothing moves. Unset: nothing is said.
   */
  onNotice?: ((message: string) => void) | undefined;
  close(): Promise<void>;
}
