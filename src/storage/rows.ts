/**
 * Database rows to records, for every backend: the tables and columns are the same in SQLite and PostgreSQL.
 * Only JSON differs (SQLite stores text, PostgreSQL's jsonb arrives parsed), so each backend passes how its
 * JSON columns decode.
 */
import type { StoredSpec } from '../core/records.js';
import { UsageError } from '../errors.js';
import type { Distribution, ParamValue, Params } from '../space/distributions.js';
import type { AttemptRecord, EpochRecord, ExecutionRecord, Metrics, ProcessRecord, StopRequest, SweepRecord, SweepState, TrialOrigin, TrialRecord, TrialState } from '../core/records.js';
import type { Goal } from '../core/metric.js';

/**
 * The columns each table's rows carry, as both databases return them (the statements are typed with these,
 * so rows are never cast). JSON columns are `unknown` until decoded: SQLite returns text, PostgreSQL parsed
 * jsonb. Counts and clock arithmetic that PostgreSQL returns as text (bigint, numeric) are numbers after
 * `Number()`.
 */
export interface SweepRow {
  id: number;
  name: string;
  method: string;
  metric_name: string;
  metric_goal: Goal;
  state: SweepState;
  spec_source: string;
  spec_json: unknown;
  seed: number;
  message: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  note?: string | null;
}

export interface TrialRow {
  id: number;
  sweep_id: number;
  number: number;
  config_index: number;
  state: TrialState;
  value: number | null;
  /** Absent in rows read before migration 7. */
  values_json?: unknown;
  metrics_json: unknown;
  seed: number;
  backend: string | null;
  error: string | null;
  test_metrics_json: unknown;
  model_path: string | null;
  process_id: number | null;
  pruned_step: number | null;
  started_at: string | null;
  ended_at: string | null;
  /** Absent in rows read before migration 8 (SQLite) / 7 (PostgreSQL). */
  origin?: string | null;
  attempt?: number | null;
  attempts_json?: unknown;
  note?: string | null;
}

export interface ParamRow {
  trial_id: number;
  name: string;
  value_json: unknown;
}

export interface DistributionRow {
  name: string;
  distribution_json: unknown;
}

export interface EpochRow {
  trial_id: number;
  execution: number;
  epoch: number;
  metrics_json: unknown;
  duration_ms: number | null;
  samples: number | null;
}

export interface ExecutionRow {
  trial_id: number;
  execution: number;
  seed: number;
  value: number | null;
  metrics_json: unknown;
  stopped_epoch: number | null;
  best_epoch: number | null;
}

/** A `processes` row with its `running_trials` count and `silent_ms` (time since its heartbeat, by the database's clock). */
export interface ProcessRow {
  id: number;
  sweep_id: number;
  host: string;
  pid: number;
  token: string;
  workers: number;
  state: ProcessRecord['state'];
  stop: StopRequest | null;
  started_at: string;
  heartbeat_at: string;
  ended_at: string | null;
  running_trials?: number | string | null;
  silent_ms?: number | string | null;
  grace_ms: number | string | null;
  session?: string | null;
}

/** Decodes one JSON column's value (`column` names it in the error a damaged value gets). */
export type DecodeJson = <T>(value: unknown, column: string) => T;

/** Rows grouped by their `trial_id`, in the order given. */
export function groupByTrial<R extends { trial_id: number }>(rows: readonly R[]): Map<number, R[]> {
  const out = new Map<number, R[]>();
  for (const row of rows) {
    const list = out.get(row.trial_id);
    if (list) list.push(row);
    else out.set(row.trial_id, [row]);
  }
  return out;
}

/** Whether a decoded spec_json is a sweep definition (an object with its parameters). */
function isStoredSpec(spec: unknown): spec is StoredSpec {
  if (!spec || typeof spec !== 'object') return false;
  const parameters = (spec as { parameters?: unknown }).parameters;
  return typeof parameters === 'object' && parameters !== null;
}

/** `spec` is the decoded spec_json (null when it did not decode); anything but a sweep spec is said damaged. */
export function toSweep(row: SweepRow, spec: unknown): SweepRecord {
  if (!isStoredSpec(spec)) {
    throw new UsageError(`sweep ${JSON.stringify(row.name)} in this database has a damaged spec_json (not a sweep spec); the database was edited or corrupted`);
  }
  return {
    id: row.id,
    name: row.name,
    method: row.method,
    metric: { name: row.metric_name, goal: row.metric_goal },
    state: row.state,
    source: row.spec_source,
    spec,
    message: row.message ?? null,
    ...(row.note ? { note: row.note } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at ?? null,
  };
}

export function toTrial(row: TrialRow, paramRows: readonly ParamRow[], dists: Map<string, Distribution>, json: DecodeJson): TrialRecord {
  const params: Params = {};
  const distributions: Record<string, Distribution> = {};
  for (const p of paramRows) {
    params[p.name] = json<ParamValue>(p.value_json, 'trial_params.value_json');
    const dist = dists.get(p.name);
    if (dist) distributions[p.name] = dist;
  }
  return {
    id: row.id,
    sweepId: row.sweep_id,
    number: row.number,
    configIndex: row.config_index,
    state: row.state,
    params,
    distributions,
    value: row.value ?? null,
    ...(row.values_json ? { values: json<number[]>(row.values_json, 'trials.values_json') } : {}),
    metrics: row.metrics_json ? json<Metrics>(row.metrics_json, 'trials.metrics_json') : null,
    seed: Number(row.seed),
    backend: row.backend ?? null,
    startedAt: row.started_at ?? null,
    endedAt: row.ended_at ?? null,
    error: row.error ?? null,
    testMetrics: row.test_metrics_json ? json<Metrics>(row.test_metrics_json, 'trials.test_metrics_json') : null,
    modelPath: row.model_path ?? null,
    processId: row.process_id ?? null,
    ...(row.pruned_step !== null && row.pruned_step !== undefined ? { prunedStep: row.pruned_step } : {}),
    ...(row.origin ? { origin: row.origin as TrialOrigin } : {}),
    ...(row.attempt && row.attempt > 1 ? { attempt: Number(row.attempt) } : {}),
    ...(row.attempts_json ? { attempts: json<AttemptRecord[]>(row.attempts_json, 'trials.attempts_json') } : {}),
    ...(row.note ? { note: row.note } : {}),
  };
}

export function toEpoch(row: EpochRow, json: DecodeJson): EpochRecord {
  return {
    ...(row.execution ? { execution: row.execution } : {}),
    epoch: row.epoch,
    metrics: json<Metrics>(row.metrics_json, 'epochs.metrics_json'),
    durationMs: row.duration_ms ?? null,
    samples: row.samples ?? null,
  };
}

export function toExecution(row: ExecutionRow, json: DecodeJson): ExecutionRecord {
  return {
    execution: row.execution,
    seed: Number(row.seed),
    value: row.value ?? null,
    metrics: json<Metrics>(row.metrics_json, 'executions.metrics_json'),
    stoppedEpoch: row.stopped_epoch ?? null,
    bestEpoch: row.best_epoch ?? null,
  };
}

export function toProcess(row: ProcessRow): ProcessRecord {
  return {
    id: row.id,
    sweepId: row.sweep_id,
    host: row.host,
    pid: row.pid,
    token: row.token,
    workers: row.workers,
    state: row.state,
    stop: row.stop ?? null,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    endedAt: row.ended_at ?? null,
    runningTrials: Number(row.running_trials ?? 0),
    silentMs: Number(row.silent_ms ?? 0),
    graceMs: row.grace_ms === null || row.grace_ms === undefined ? null : Number(row.grace_ms),
    session: row.session ?? null,
  };
}

/**
 * A sweep's trials from its rows: trials in order, and all their params (and, with `withEpochs`, epochs and
 * executions), each list in its own order, as one snapshot read them.
 */
export function assembleTrials(
  rows: { trials: readonly TrialRow[]; params: readonly ParamRow[]; epochs?: readonly EpochRow[]; executions?: readonly ExecutionRow[] },
  dists: Map<string, Distribution>,
  json: DecodeJson,
): TrialRecord[] {
  const params = groupByTrial(rows.params);
  const epochs = rows.epochs && groupByTrial(rows.epochs);
  const executions = rows.executions && groupByTrial(rows.executions);
  return rows.trials.map((row) => {
    const trial = toTrial(row, params.get(row.id) ?? [], dists, json);
    if (epochs) trial.epochs = (epochs.get(trial.id) ?? []).map((e) => toEpoch(e, json));
    if (executions) trial.executions = (executions.get(trial.id) ?? []).map((x) => toExecution(x, json));
    return trial;
  });
}

/**
 * A trial claimed again: the run that ended (failed or interrupted; a queued trial has none) joins its
 * attempts, with the epoch its checkpoint held when it resumes from one, and the run count goes up.
 */
export function nextRun(row: TrialRow, earlier: AttemptRecord[], resumedAfter: number | null): { attempt: number; attempts: AttemptRecord[] } {
  const attempt = Number(row.attempt ?? 1);
  if (row.state === 'queued') return { attempt, attempts: earlier };
  const ended: AttemptRecord = { attempt, state: row.state as AttemptRecord['state'], error: row.error ?? null, startedAt: row.started_at ?? null, endedAt: row.ended_at ?? null, resumedAfter };
  return { attempt: attempt + 1, attempts: [...earlier, ended] };
}
