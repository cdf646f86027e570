/**
 * The records every layer shares: sweeps, trials, epochs, metrics, and the ranking rule. A leaf module (types
 * and pure functions only): the trainer, samplers, reports, storage backends and the orchestrator import it,
 * and it imports none of them.
 */
import type { Distribution, Params } from './params.js';
import { asLoss, isFeasible, isMultiObjective, metricValue, objectiveValues, rankBy, type ConstraintSpec, type Goal, type MetricSpec, type Objectives } from './metric.js';
import { nonDominatedRanks } from './pareto.js';

export { isBetter, type Goal } from './metric.js';

/**
 * What every layer needs of a sweep's definition; storage keeps the whole validated sweep file (SweepSpec,
 * owned by sweep-file/) as JSON beside it, and never looks further.
 */
export interface StoredSpec {
  name: string;
  method: string;
  metric: MetricSpec;
  /** Every objective of a multi-objective sweep (`metrics:`), the first being `metric`; absent with one. */
  metrics?: MetricSpec[];
  /** Bounds a trial's metrics must meet for it to be ranked; absent when none. */
  constraints?: ConstraintSpec[];
  seed: number;
  /** Each parameter's distribution, in file order. */
  parameters: Record<string, Distribution>;
}

export type TrialState = 'queued' | 'running' | 'complete' | 'failed' | 'interrupted' | 'pruned';

/** Trials whose result is final and counts towards run_cap: complete ones and those the pruner stopped. */
export function isFinished(state: TrialState): boolean {
  return state === 'complete' || state === 'pruned';
}
export type SweepState = 'running' | 'finished' | 'stopped';
export type Metrics = Record<string, number>;

export interface SweepRecord {
  id: number;
  name: string;
  method: string;
  metric: { name: string; goal: Goal };
  state: SweepState;
  /** The sweep file's text as given. */
  source: string;
  /** The validated spec with defaults and the seed filled in (read it whole with sweep-file's `sweepSpecOf`). */
  spec: StoredSpec;
  message: string | null;
  /** A person's note on the sweep (`tfsweep note`). */
  note?: string | null;
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
  /** The (first) objective's value. */
  value: number | null;
  /** Each objective's value, in the order of the sweep's `metrics:` (null in single-objective sweeps and older rows). */
  values?: number[] | null;
  metrics: Metrics | null;
  seed: number;
  backend: string | null;
  startedAt: string | null;
  endedAt: string | null;
  error: string | null;
  /** Metrics of the chosen model on the test split (evaluated once, after the sweep). */
  testMetrics?: Metrics | null;
  /** The process that ran (or runs) the trial, when known. */
  processId?: number | null;
  /** Folder of the saved model (tfjs format), when one was saved. */
  modelPath?: string | null;
  /** A pruned trial's last epoch (a program's last step), after which the pruner stopped it. */
  prunedStep?: number | null;
  /** Where its configuration came from when not the sampler: `tfsweep enqueue` or `enqueue:`, or `tfsweep import`. */
  origin?: TrialOrigin | null;
  /** Its run: 1, then 2, 3, … when a failure was retried or an interruption resumed. */
  attempt?: number;
  /** How each earlier run ended (retries, resumptions), oldest first. */
  attempts?: AttemptRecord[];
  /** A person's note on the trial (`tfsweep note`). */
  note?: string | null;
  epochs?: EpochRecord[];
  executions?: ExecutionRecord[];
}

export type TrialOrigin = 'enqueued' | 'imported';

/** One earlier run of a trial: how it ended, and (an interruption resumed) the epoch its checkpoint held. */
export interface AttemptRecord {
  attempt: number;
  state: 'failed' | 'interrupted';
  error: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** The next run resumed after this epoch (step) of its checkpoint; null: it started again from the beginning. */
  resumedAfter: number | null;
}

/**
 * A running trial's last checkpoint: where it was (execution, epoch or step), a JSON state (the trainer's
 * schedules, random streams and earlier epochs; a program's own `saveState` value) and the tensors' bytes.
 */
export interface Checkpoint {
  execution: number;
  epoch: number;
  state: unknown;
  data: Buffer | null;
}

/** What a trial's final write settled, as the database recorded it: merged into the trial as held, nothing read back. */
export type TrialSettlement = Pick<TrialRecord, 'state' | 'value' | 'values' | 'metrics' | 'error' | 'endedAt' | 'prunedStep'>;

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

/** A request, through the database, that the processes of a sweep stop: finish running trials, or interrupt them. */
export type StopRequest = 'drain' | 'now';

/** Who a process is: its host, pid, and a token that a reused pid or another boot does not share. */
export interface ProcessIdentity {
  host: string;
  pid: number;
  token: string;
}

/** One process taking part in a sweep (`tfsweep run` or `tfsweep agent`). */
export interface ProcessRecord extends ProcessIdentity {
  id: number;
  sweepId: number;
  workers: number;
  /** running: heartbeating; ended: left cleanly; gone: stopped heartbeating, its trials were interrupted. */
  state: 'running' | 'ended' | 'gone';
  stop: StopRequest | null;
  startedAt: string;
  heartbeatAt: string;
  endedAt: string | null;
  /** Trials this process is running now. */
  runningTrials: number;
  /** Milliseconds since its last heartbeat, by the database's clock, when read. */
  silentMs: number;
  /**
   * How long this process may stay silent before it is declared gone: its own lease setting, recorded when
   * it joined, so that every observer judges it alike (null for rows written by an older tfsweep).
   */
  graceMs: number | null;
  /** Its database session, where the database names one (PostgreSQL's application_name); ended when it is declared gone. */
  session: string | null;
}

/** A trial's value per objective: as stored, or (one objective, or rows written before `values`) from its value or metrics. */
export function trialValues(objectives: Objectives, t: Pick<TrialRecord, 'value' | 'values' | 'metrics'>): number[] | null {
  if (t.values && t.values.length === objectives.metrics.length) return t.values;
  if (!isMultiObjective(objectives)) {
    const v = (objectives.metrics[0]!.name ? metricValue(objectives.metrics[0]!, t.metrics) : null) ?? t.value;
    return v === null || !Number.isFinite(v) ? null : [v];
  }
  return objectiveValues(objectives, t.metrics);
}

/** Complete trials that can be ranked: a value for every objective, every constraint met. */
export function rankable(objectives: Objectives, trials: readonly TrialRecord[]): TrialRecord[] {
  return trials.filter((t) => t.state === 'complete' && trialValues(objectives, t) !== null && isFeasible(objectives, t.metrics));
}

/** A ranked trial and its Pareto front: 0 for the non-dominated (with one objective, 0 for every trial). */
export interface RankedTrial {
  trial: TrialRecord;
  front: number;
}

/**
 * Complete trials that meet the constraints, best first. One objective: by value (ties: trial order).
 * Several: by Pareto front (the non-dominated first), then by the first objective, then trial order.
 */
export function rankTrials(by: Goal | Objectives, trials: readonly TrialRecord[]): RankedTrial[] {
  const objectives: Objectives = typeof by === 'string' ? { metrics: [{ name: '', goal: by }], constraints: [] } : by;
  const pool = typeof by === 'string' ? trials.filter((t) => t.state === 'complete') : rankable(objectives, trials);
  if (!isMultiObjective(objectives)) {
    // By the named metric when it is recorded (`best --metric` ranks a multi-objective sweep by one of them).
    return rankBy(objectives.metrics[0]!.goal, pool, (t) => trialValues(objectives, t)?.[0] ?? null, (t) => t.number).map((trial) => ({ trial, front: 0 }));
  }
  const values = pool.map((t) => trialValues(objectives, t)!);
  const fronts = nonDominatedRanks(values.map((v) => asLoss(objectives, v)));
  const sign = objectives.metrics[0]!.goal === 'maximize' ? -1 : 1;
  return pool
    .map((trial, i) => ({ trial, front: fronts[i]!, first: sign * values[i]![0]! }))
    .sort((a, b) => a.front - b.front || a.first - b.first || a.trial.number - b.trial.number)
    .map(({ trial, front }) => ({ trial, front }));
}

/** Completed trials (that meet the constraints), best first: by value, or by Pareto front with several objectives. */
export function bestFirst(by: Goal | Objectives, trials: readonly TrialRecord[]): TrialRecord[] {
  return rankTrials(by, trials).map((r) => r.trial);
}

/** The Pareto-optimal complete trials that meet the constraints (with one objective: those of the best value). */
export function paretoTrials(objectives: Objectives, trials: readonly TrialRecord[]): TrialRecord[] {
  const ranked = rankTrials(objectives, trials);
  if (isMultiObjective(objectives)) return ranked.filter((r) => r.front === 0).map((r) => r.trial);
  const first = ranked[0];
  if (!first) return [];
  const best = trialValues(objectives, first.trial)![0];
  return ranked.filter((r) => trialValues(objectives, r.trial)![0] === best).map((r) => r.trial);
}

/**
 * What a claim decides from: how many trials are complete, which configurations run now, which existing
 * trials to run again (`reruns`: interrupted ones to resume, failed ones to retry, enqueued ones waiting), and
 * the next new configuration index. `history` is the whole history when the sampler needs it (TPE), else null.
 */
export interface ClaimView {
  completed: number;
  /** The lowest and highest value of a complete trial (the best is one of them, by the goal); null when none. */
  minValue: number | null;
  maxValue: number | null;
  runningConfigs: number[];
  /** Trials to claim again before any new one, in this order: resumptions, then retries, then the enqueued. */
  reruns: Rerun[];
  /** The next index of the sampler's own sequence (enqueued and imported trials have negative ones). */
  nextIndex: number;
  /** Trials whose configuration is not the sampler's (enqueued, imported): a grid without run_cap runs them on top. */
  outside: number;
  history: TrialRecord[] | null;
}

/** An existing trial a claim may run again: `resume` (interrupted), `retry` (failed), `queued` (enqueued). */
export interface Rerun {
  trialId: number;
  configIndex: number;
  params: Params;
  kind: 'resume' | 'retry' | 'queued';
}

/** What a claim's choice may be: a new trial, or an existing one to run again (its id). */
export type ClaimChoice = NewTrial | { reclaim: number };

function valueRange(history: readonly TrialRecord[]): { minValue: number | null; maxValue: number | null } {
  let minValue: number | null = null;
  let maxValue: number | null = null;
  for (const t of history) {
    if (t.state !== 'complete' || t.value === null) continue;
    if (minValue === null || t.value < minValue) minValue = t.value;
    if (maxValue === null || t.value > maxValue) maxValue = t.value;
  }
  return { minValue, maxValue };
}

/**
 * The claim view of a full history (what the database computes in SQL when the history is not needed).
 * `maxAttempts`: a failed trial with fewer attempts than this is retried.
 */
export function claimViewOf(history: TrialRecord[], maxAttempts = 1): ClaimView {
  const busy = new Set<number>();
  const failed = new Set<number>();
  for (const t of history) {
    if (isFinished(t.state) || t.state === 'running') busy.add(t.configIndex);
    if (t.state === 'failed') failed.add(t.configIndex);
  }
  const resume: Rerun[] = [];
  const retry: Rerun[] = [];
  const queued: Rerun[] = [];
  const seen = new Set<number>();
  // The latest interrupted trial of a configuration nothing else settled or runs (older tfsweeps ran an
  // interrupted configuration again as a new trial: several may be interrupted).
  for (const t of [...history].sort((a, b) => a.configIndex - b.configIndex || b.number - a.number)) {
    if (t.state === 'interrupted' && !busy.has(t.configIndex) && !seen.has(t.configIndex) && !failed.has(t.configIndex)) {
      seen.add(t.configIndex);
      resume.push({ trialId: t.id, configIndex: t.configIndex, params: t.params, kind: 'resume' });
    }
  }
  for (const t of [...history].sort((a, b) => a.number - b.number)) {
    if (t.state === 'failed' && (t.attempt ?? 1) < maxAttempts && !busy.has(t.configIndex)) retry.push({ trialId: t.id, configIndex: t.configIndex, params: t.params, kind: 'retry' });
    if (t.state === 'queued') queued.push({ trialId: t.id, configIndex: t.configIndex, params: t.params, kind: 'queued' });
  }
  return {
    completed: history.filter((t) => isFinished(t.state)).length,
    ...valueRange(history),
    runningConfigs: history.filter((t) => t.state === 'running').map((t) => t.configIndex),
    reruns: [...resume, ...retry, ...queued],
    nextIndex: history.reduce((max, t) => Math.max(max, t.configIndex + 1), 0),
    outside: history.filter((t) => t.configIndex < 0).length,
    history,
  };
}

/** One file of a saved model (the tfjs layout: `model.json`, `weights.bin`). */
export interface ModelFile {
  name: string;
  data: Buffer;
}

/** A file name a model may have: plain, no folders (a database is not trusted to name paths). */
export const MODEL_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
