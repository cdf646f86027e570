/**
 * Ranking and the shapes the CLI prints and exports. Reads records only.
 */
import { summarizeValues } from './stats.js';
import type { Params } from '../space/distributions.js';
import { bestFirst, rankTrials as rankRecords, trialValues, type EpochRecord, type Metrics, type SweepRecord, type TrialRecord } from '../core/records.js';
import { isMultiObjective, objectivesOf, type Objectives } from '../core/metric.js';
import { UsageError } from '../errors.js';
import { MODEL_METRICS } from '../trainer/knobs.js';

export { bestFirst };

export interface TrialView {
  number: number;
  state: TrialRecord['state'];
  params: Params;
  value: number | null;
  metrics: Metrics | null;
  seed: number;
  backend: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_s: number | null;
  error: string | null;
  /** One object per epoch: `epoch`, every metric, `duration_ms` (and `execution` when a trial repeats). */
  epochs: Array<Record<string, number | null>>;
  /** executions_per_trial > 1: each execution, and the mean, standard deviation and 95% CI of the value. */
  executions?: Array<{ execution: number; seed: number; value: number | null; stopped_epoch: number | null; best_epoch: number | null }>;
  value_std?: number | null;
  value_ci95?: [number, number] | null;
  /** Early stopping with one execution: where it stopped and its best epoch. */
  stopped_epoch?: number | null;
  best_epoch?: number | null;
  /** Metrics on the test split, for the trial that was evaluated on it. */
  test_metrics?: Metrics | null;
  model_path?: string | null;
  /** A pruned trial's last epoch (a program's last step): where the pruner stopped it. */
  pruned_at?: number;
  /** `enqueued` or `imported` when the configuration did not come from the sampler. */
  origin?: string;
  /** Its runs (when more than one) and how each earlier one ended. */
  attempt?: number;
  attempts?: Array<{ attempt: number; state: string; error: string | null; started_at: string | null; ended_at: string | null; resumed_after: number | null }>;
  note?: string;
}

export interface RankedTrial extends TrialView {
  rank: number;
  /** Several objectives: each objective's value by name, and whether no other ranked trial dominates it. */
  values?: Record<string, number>;
  pareto?: boolean;
}

export function durationSeconds(trial: TrialRecord): number | null {
  if (!trial.startedAt || !trial.endedAt) return null;
  return (Date.parse(trial.endedAt) - Date.parse(trial.startedAt)) / 1000;
}

/** An epoch's own fields in exports; a metric of the same name is written `metric:NAME`, as `export` does. */
const EPOCH_FIELDS: ReadonlySet<string> = new Set(['epoch', 'execution', 'duration_ms']);

/** Where an epoch's metric is found in exported epochs (and the report's data). */
export function epochMetricKey(name: string): string {
  return EPOCH_FIELDS.has(name) ? `metric:${name}` : name;
}

function epochView(epoch: EpochRecord): Record<string, number | null> {
  // The step, the execution and the duration are tfsweep's; the metrics an objective reports never replace
  // them (a program may well log its own "epoch").
  const metrics = Object.fromEntries(Object.entries(epoch.metrics).map(([k, v]) => [epochMetricKey(k), v]));
  return { ...(epoch.execution ? { execution: epoch.execution } : {}), epoch: epoch.epoch, ...metrics, duration_ms: epoch.durationMs };
}

export function trialView(trial: TrialRecord): TrialView {
  const view: TrialView = {
    number: trial.number,
    state: trial.state,
    params: trial.params,
    value: trial.value,
    metrics: trial.metrics,
    seed: trial.seed,
    backend: trial.backend,
    started_at: trial.startedAt,
    ended_at: trial.endedAt,
    duration_s: durationSeconds(trial),
    error: trial.error,
    epochs: (trial.epochs ?? []).map(epochView),
  };
  const executions = trial.executions ?? [];
  if (executions.length > 1) {
    const stats = summarizeValues(executions.map((x) => x.value).filter((v): v is number => v !== null));
    view.executions = executions.map((x) => ({ execution: x.execution, seed: x.seed, value: x.value, stopped_epoch: x.stoppedEpoch, best_epoch: x.bestEpoch }));
    view.value_std = stats?.std ?? null;
    view.value_ci95 = stats?.ci95 ?? null;
  } else if (executions.length === 1 && executions[0]!.bestEpoch !== null) {
    view.stopped_epoch = executions[0]!.stoppedEpoch;
    view.best_epoch = executions[0]!.bestEpoch;
  }
  if (trial.testMetrics) view.test_metrics = trial.testMetrics;
  if (trial.modelPath) view.model_path = trial.modelPath;
  if (trial.state === 'pruned' && trial.prunedStep !== null && trial.prunedStep !== undefined) view.pruned_at = trial.prunedStep;
  if (trial.origin) view.origin = trial.origin;
  if (trial.attempt && trial.attempt > 1) view.attempt = trial.attempt;
  if (trial.attempts?.length) {
    view.attempts = trial.attempts.map((a) => ({ attempt: a.attempt, state: a.state, error: a.error, started_at: a.startedAt, ended_at: a.endedAt, resumed_after: a.resumedAfter }));
  }
  if (trial.note) view.note = trial.note;
  return view;
}

/** What a sweep is ranked by: its objectives and constraints, or (`metric`) one of its objectives alone. */
export function rankingOf(sweep: SweepRecord, metric?: string): Objectives {
  const objectives = objectivesOf(sweep.spec);
  if (metric === undefined) return objectives;
  const one = objectives.metrics.find((m) => m.name === metric);
  if (!one) throw new UsageError(`--metric: sweep "${sweep.name}" optimizes ${objectives.metrics.map((m) => `"${m.name}"`).join(', ')}; "${metric}" is not one of its objectives`);
  return { metrics: [one], constraints: objectives.constraints };
}

/**
 * Completed trials that meet the constraints, best first, as ranked views: by the sweep's metric, or with
 * several objectives by Pareto front (the front first, each front by the first objective); `metric` ranks by
 * that objective alone.
 */
export function rankTrials(sweep: SweepRecord, trials: readonly TrialRecord[], metric?: string): RankedTrial[] {
  const all = objectivesOf(sweep.spec);
  const multi = isMultiObjective(all);
  const ranked = rankRecords(rankingOf(sweep, metric), trials);
  // The Pareto flag is the sweep's front, whichever order the rows are in (ranked by one objective, the
  // fronts are the sweep's ranking's).
  const fronts = multi ? (metric === undefined ? ranked : rankRecords(all, trials)) : [];
  const front = new Set(fronts.filter((r) => r.front === 0).map((r) => r.trial.id));
  return ranked.map(({ trial }, i) => ({
    rank: i + 1,
    ...trialView(trial),
    ...(multi ? { values: Object.fromEntries(all.metrics.map((m, k) => [m.name, trialValues(all, trial)![k]!])), pareto: front.has(trial.id) } : {}),
  }));
}

/**
 * Metrics a terminal table leaves out to stay narrow: the trainer's model size and speed when the sweep
 * neither optimizes nor constrains them (`--json`, exports and the report keep every metric).
 */
export function quietMetrics(sweep: SweepRecord): string[] {
  const objectives = objectivesOf(sweep.spec);
  const named = new Set([...objectives.metrics.map((m) => m.name), ...objectives.constraints.map((c) => c.name)]);
  return MODEL_METRICS.filter((m) => !named.has(m));
}

/** The Pareto-optimal trials (several objectives), ranked views in front order; with one objective, the ranked trials. */
export function paretoRows(sweep: SweepRecord, trials: readonly TrialRecord[]): RankedTrial[] {
  const rows = rankTrials(sweep, trials);
  return isMultiObjective(objectivesOf(sweep.spec)) ? rows.filter((r) => r.pareto) : rows;
}

export function bestValue(sweep: SweepRecord, trials: readonly TrialRecord[]): number | null {
  return rankTrials(sweep, trials)[0]?.value ?? null;
}

export interface SweepSummary {
  name: string;
  method: string;
  metric: string;
  goal: string;
  /** `running` only while a live process runs it; a sweep whose process died shows `interrupted`. */
  state: string;
  /** Processes taking part in the sweep now. */
  processes: number;
  planned: number | null;
  counts: Record<TrialRecord['state'], number>;
  best: number | null;
  best_trial: number | null;
  /** Several objectives: how many trials are on the Pareto front. */
  pareto_size?: number;
  created_at: string;
  updated_at: string;
  message: string | null;
  /** A person's note on the sweep (`tfsweep note`). */
  note?: string;
}

/** `live`: how many processes take part in the sweep now (the caller knows how to tell; a report does not). */
export function summarize(sweep: SweepRecord, trials: readonly TrialRecord[], planned: number | null, live: number): SweepSummary {
  const alive = sweep.state === 'running' && live > 0;
  const counts = { queued: 0, running: 0, complete: 0, pruned: 0, failed: 0, interrupted: 0 };
  // Trials a dead process left `running` are not running: the next run will mark them interrupted.
  for (const t of trials) counts[t.state === 'running' && !alive ? 'interrupted' : t.state]++;
  const ranked = rankTrials(sweep, trials);
  const top = ranked[0];
  const objectives = objectivesOf(sweep.spec).metrics;
  const multi = objectives.length > 1;
  return {
    name: sweep.name,
    method: sweep.method,
    // Several objectives: their names and goals, comma-separated in the same order.
    metric: objectives.map((m) => m.name).join(', '),
    goal: objectives.map((m) => m.goal).join(', '),
    state: sweep.state === 'running' && !alive ? 'interrupted' : sweep.state,
    processes: alive ? live : 0,
    planned,
    counts,
    best: top?.value ?? null,
    best_trial: top?.number ?? null,
    ...(multi ? { pareto_size: ranked.filter((r) => r.pareto).length } : {}),
    created_at: sweep.createdAt,
    updated_at: sweep.updatedAt,
    message: sweep.state === 'running' && !alive ? 'no process runs it any more; run it again (or start an agent) to resume' : sweep.message,
    ...(sweep.note ? { note: sweep.note } : {}),
  };
}
