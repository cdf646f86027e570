/**
 * Database rows to records, for every backend: the tables and columns are the same in SQLite and PostgreSQL.
 * Only JSON differs (SQLite stores text, PostgreSQL's jsonb arrives parsed), so each backend passes how its
 * JSON columns decode.
 */
import type { StoredSpec } from '../core/records.js';
import { UsageError } from '../errors.js';
import type { Distribution, ParamValue, Params } from '../space/distributions.js';
import type { EpochRecord, ExecutionRecord, Metrics, ProcessRecord, StopRequest, SweepRecord, SweepState, TrialRecord, TrialState } from '../core/records.js';

export type Row = Record<string, unknown>;

/** Decodes one JSON column's value (`column` names it in the error a damaged value gets). */
export type DecodeJson = <T>(value: unknown, column: string) => T;

/** Rows grouped by their `trial_id`, in the order given. */
export function groupByTrial(rows: Row[]): Map<number, Row[]> {
  const out = new Map<number, Row[]>();
  for (const row of rows) {
    const id = row.trial_id as number;
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push(row);
  }
  return out;
}

/** `spec` is the decoded spec_json (null when it did not decode); anything but a sweep spec is said damaged. */
export function toSweep(row: Row, spec: unknown): SweepRecord {
  if (!spec || typeof spec !== 'object' || typeof (spec as StoredSpec).parameters !== 'object' || (spec as StoredSpec).parameters === null) {
    throw new UsageError(`sweep ${JSON.stringify(row.name)} in this database has a damaged spec_json (not a sweep spec); the database was edited or corrupted`);
  }
  return {
    id: row.id as number,
    name: row.name as string,
    method: row.method as string,
    metric: { name: row.metric_name as string, goal: row.metric_goal as 'maximize' | 'minimize' },
    state: row.state as SweepState,
    source: row.spec_source as string,
    spec: spec as StoredSpec,
    message: (row.message as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
  };
}

export function toTrial(row: Row, paramRows: Row[], dists: Map<string, Distribution>, json: DecodeJson): TrialRecord {
  const params: Params = {};
  const distributions: Record<string, Distribution> = {};
  for (const p of paramRows) {
    const name = p.name as string;
    params[name] = json<ParamValue>(p.value_json, 'trial_params.value_json');
    const dist = dists.get(name);
    if (dist) distributions[name] = dist;
  }
  return {
    id: row.id as number,
    sweepId: row.sweep_id as number,
    number: row.number as number,
    configIndex: row.config_index as number,
    state: row.state as TrialState,
    params,
    distributions,
    value: (row.value as number | null) ?? null,
    metrics: row.metrics_json ? json<Metrics>(row.metrics_json, 'trials.metrics_json') : null,
    seed: row.seed as number,
    backend: (row.backend as string | null) ?? null,
    startedAt: (row.started_at as string | null) ?? null,
    endedAt: (row.ended_at as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    testMetrics: row.test_metrics_json ? json<Metrics>(row.test_metrics_json, 'trials.test_metrics_json') : null,
    modelPath: (row.model_path as string | null) ?? null,
    processId: (row.process_id as number | null) ?? null,
    ...(row.pruned_step !== null && row.pruned_step !== undefined ? { prunedStep: row.pruned_step as number } : {}),
  };
}

export function toEpoch(row: Row, json: DecodeJson): EpochRecord {
  return {
    ...((row.execution as number) ? { execution: row.execution as number } : {}),
    epoch: row.epoch as number,
    metrics: json<Metrics>(row.metrics_json, 'epochs.metrics_json'),
    durationMs: (row.duration_ms as number | null) ?? null,
    samples: (row.samples as number | null) ?? null,
  };
}

export function toExecution(row: Row, json: DecodeJson): ExecutionRecord {
  return {
    execution: row.execution as number,
    seed: row.seed as number,
    value: (row.value as number | null) ?? null,
    metrics: json<Metrics>(row.metrics_json, 'executions.metrics_json'),
    stoppedEpoch: (row.stopped_epoch as number | null) ?? null,
    bestEpoch: (row.best_epoch as number | null) ?? null,
  };
}

/** A `processes` row with its `running_trials` count and `silent_ms` (time since its heartbeat, by the database's clock). */
export function toProcess(row: Row): ProcessRecord {
  return {
    id: row.id as number,
    sweepId: row.sweep_id as number,
    host: row.host as string,
    pid: row.pid as number,
    token: row.token as string,
    workers: row.workers as number,
    state: row.state as ProcessRecord['state'],
    stop: (row.stop as StopRequest | null) ?? null,
    startedAt: row.started_at as string,
    heartbeatAt: row.heartbeat_at as string,
    endedAt: (row.ended_at as string | null) ?? null,
    runningTrials: Number(row.running_trials ?? 0),
    silentMs: Number(row.silent_ms ?? 0),
    graceMs: row.grace_ms === null || row.grace_ms === undefined ? null : Number(row.grace_ms),
    session: (row.session as string | null | undefined) ?? null,
  };
}

/**
 * A sweep's trials from its rows: trials in order, and all their params (and, with `withEpochs`, epochs and
 * executions), each list in its own order, as one snapshot read them.
 */
export function assembleTrials(
  rows: { trials: Row[]; params: Row[]; epochs?: Row[]; executions?: Row[] },
  dists: Map<string, Distribution>,
  json: DecodeJson,
): TrialRecord[] {
  const params = groupByTrial(rows.params);
  const epochs = rows.epochs && groupByTrial(rows.epochs);
  const executions = rows.executions && groupByTrial(rows.executions);
  return rows.trials.map((row) => {
    const trial = toTrial(row, params.get(row.id as number) ?? [], dists, json);
    if (epochs) trial.epochs = (epochs.get(trial.id) ?? []).map((e) => toEpoch(e, json));
    if (executions) trial.executions = (executions.get(trial.id) ?? []).map((x) => toExecution(x, json));
    return trial;
  });
}
