/**
 * Everything the HTML report and the dashboard show about one sweep, read from storage in one place: the
 * sweep and its file, every trial with its epochs, importance, processes, failures grouped by message. Plain
 * JSON, embedded in the report or served by the dashboard; the page renders it, escaping nothing itself
 * because it writes text only as text.
 */
import { createRequire } from 'node:module';
import type { ProcessRecord, SweepRecord, TrialRecord } from '../core/records.js';
import type { Distribution } from '../space/distributions.js';
import type { Storage } from '../storage/storage.js';
import { importanceByObjective, parameterImportance, type Importance } from './importance.js';
import { summarize, trialView, type SweepSummary, type TrialView } from './leaderboard.js';
import { asLoss, describeConstraint, isFeasible, isMultiObjective, objectivesOf, type Goal, type Objectives } from '../core/metric.js';
import { rankTrials, trialValues, type RankedTrial } from '../core/records.js';
import { dominates, hypervolume } from '../core/pareto.js';
import { sweepSpecOf } from '../sweep-file/stored.js';

export interface ReportTrial extends TrialView {
  process_id: number | null;
  /** Meets the sweep's constraints (always true without constraints; false for a trial without a value). */
  feasible: boolean;
  /** Several objectives: each objective's value by name, and its Pareto front (0: non-dominated) when ranked. */
  values?: Record<string, number>;
  front?: number;
}

/** Several objectives: the front, and how the hypervolume grew trial by trial. */
export interface ParetoData {
  objectives: Array<{ name: string; goal: Goal }>;
  /** Trial numbers on the Pareto front, in order of the first objective (best first). */
  front: number[];
  /**
   * [trial number, hypervolume of the complete feasible trials up to it]: each objective scaled to [0, 1] over
   * all complete feasible trials (0 best), the reference point at 1.1 on every axis (so at most 1.1^k).
   */
  hypervolume: Array<[number, number]>;
}

export interface ReportData {
  generated_at: string;
  tfsweep_version: string;
  sweep: {
    name: string;
    method: string;
    metric: string;
    goal: 'maximize' | 'minimize';
    seed: number;
    state: string;
    message: string | null;
    created_at: string;
    updated_at: string;
    finished_at: string | null;
    source: string;
    parameters: Record<string, Distribution>;
    planned: number | null;
    /** TPE's random start-up trials (bayes), after which proposals come from the model. */
    startup_trials: number | null;
    pruner: string | null;
    /** A program objective (its steps are its own), not the built-in trainer (epochs). */
    program: boolean;
    /** The command that runs (or resumes) this sweep again, as far as the database can tell. */
    command: string;
  };
  summary: SweepSummary;
  wall_s: number | null;
  backends: string[];
  trials: ReportTrial[];
  importance: Importance;
  /** Several objectives: the importance for each, by name. */
  importance_by_objective?: Record<string, Importance>;
  /** The sweep's constraints as they read ("params ≤ 100000"): the page shows them as text. */
  constraints: string[];
  pareto: ParetoData | null;
  processes: Array<{ id: number; host: string; pid: number; workers: number; state: string }>;
  failures: Array<{ message: string; trials: number[] }>;
}

const VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

function wallSeconds(trials: readonly TrialRecord[]): number | null {
  const starts = trials.map((t) => (t.startedAt ? Date.parse(t.startedAt) : NaN)).filter(Number.isFinite);
  const ends = trials.map((t) => (t.endedAt ? Date.parse(t.endedAt) : NaN)).filter(Number.isFinite);
  if (!starts.length || !ends.length) return null;
  return (Math.max(...ends) - Math.min(...starts)) / 1000;
}

/** Failed trials by error message (the same message once, with the trials that hit it), most frequent first. */
export function groupFailures(trials: readonly TrialRecord[]): ReportData['failures'] {
  const groups = new Map<string, number[]>();
  for (const t of trials) {
    if (t.state !== 'failed') continue;
    const message = t.error ?? '(no message)';
    groups.set(message, [...(groups.get(message) ?? []), t.number]);
  }
  return [...groups.entries()].map(([message, numbers]) => ({ message, trials: numbers })).sort((a, b) => b.trials.length - a.trials.length);
}

/** `isLive` tells a live process from a row whose process stopped heartbeating (the leases' rule). */
export function buildReportData(
  sweep: SweepRecord,
  trials: readonly TrialRecord[],
  processes: readonly ProcessRecord[],
  planned: number | null,
  location: string,
  isLive: (p: ProcessRecord) => boolean,
): ReportData {
  const spec = sweepSpecOf(sweep);
  const objectives = objectivesOf(spec);
  // Ranked once: the trials' fronts and the Pareto view read the same ranking.
  const ranked = rankTrials(objectives, trials);
  const live = processes.filter(isLive).length;
  const pruner = spec.pruner && spec.pruner.type !== 'none' ? (spec.pruner.type === 'wandb_hyperband' ? 'W&B hyperband early_terminate' : spec.pruner.type) : null;
  return {
    generated_at: new Date().toISOString(),
    tfsweep_version: VERSION,
    sweep: {
      name: sweep.name,
      method: sweep.method,
      metric: sweep.metric.name,
      goal: sweep.metric.goal,
      seed: spec.seed,
      state: sweep.state,
      message: sweep.message,
      created_at: sweep.createdAt,
      updated_at: sweep.updatedAt,
      finished_at: sweep.finishedAt,
      source: sweep.source,
      parameters: spec.parameters,
      planned,
      startup_trials: spec.bayes ? spec.bayes.n_startup_trials : null,
      pruner,
      program: spec.program !== null,
      command: `tfsweep run <the sweep file> --db '${location.replace(/'/g, `'\\''`)}'   (or: tfsweep agent ${sweep.name} --db …)`,
    },
    summary: summarize(sweep, trials, planned, live),
    wall_s: wallSeconds(trials),
    backends: [...new Set(trials.map((t) => t.backend).filter((b): b is string => !!b))],
    trials: reportTrials(objectives, trials, ranked),
    importance: objectives.constraints.length ? importanceByObjective(trials, spec.parameters, objectives)[sweep.metric.name]! : parameterImportance(trials, spec.parameters, sweep.metric.goal),
    ...(isMultiObjective(objectives) ? { importance_by_objective: importanceByObjective(trials, spec.parameters, objectives) } : {}),
    constraints: objectives.constraints.map(describeConstraint),
    pareto: isMultiObjective(objectives) ? paretoData(objectives, ranked) : null,
    processes: processes.map((p) => ({ id: p.id, host: p.host, pid: p.pid, workers: p.workers, state: p.state })),
    failures: groupFailures(trials),
  };
}

function reportTrials(objectives: Objectives, trials: readonly TrialRecord[], ranked: readonly RankedTrial[]): ReportTrial[] {
  const multi = isMultiObjective(objectives);
  const fronts = new Map(ranked.map((r) => [r.trial.id, r.front]));
  return trials.map((t) => {
    const values = t.state === 'complete' ? trialValues(objectives, t) : null;
    return {
      ...trialView(t),
      process_id: t.processId ?? null,
      feasible: values !== null && isFeasible(objectives, t.metrics),
      ...(multi && values ? { values: Object.fromEntries(objectives.metrics.map((m, k) => [m.name, values[k]!])) } : {}),
      ...(multi && fronts.has(t.id) ? { front: fronts.get(t.id)! } : {}),
    };
  });
}

/** The front and the hypervolume history of a multi-objective sweep (see ParetoData), from its ranked trials. */
function paretoData(objectives: Objectives, ranked: readonly RankedTrial[]): ParetoData {
  const points = ranked.map((r) => ({ number: r.trial.number, loss: asLoss(objectives, trialValues(objectives, r.trial)!) }));
  const k = objectives.metrics.length;
  const lo = Array.from({ length: k }, (_, i) => Math.min(...points.map((p) => p.loss[i]!)));
  const hi = Array.from({ length: k }, (_, i) => Math.max(...points.map((p) => p.loss[i]!)));
  const scaled = (loss: number[]) => loss.map((v, i) => (hi[i]! > lo[i]! ? (v - lo[i]!) / (hi[i]! - lo[i]!) : 0));
  const reference = Array<number>(k).fill(1.1);
  const history: Array<[number, number]> = [];
  // Only a point no earlier point dominates changes the front, and only the front adds volume.
  let front: number[][] = [];
  let volume = 0;
  for (const p of [...points].sort((a, b) => a.number - b.number)) {
    const x = scaled(p.loss);
    if (!front.some((q) => dominates(q, x) || q.every((v, i) => v === x[i]))) {
      front = [...front.filter((q) => !dominates(x, q)), x];
      volume = hypervolume(front, reference);
    }
    history.push([p.number, volume]);
  }
  return {
    objectives: objectives.metrics.map((m) => ({ name: m.name, goal: m.goal })),
    front: ranked.filter((r) => r.front === 0).map((r) => r.trial.number),
    hypervolume: history,
  };
}

export async function loadReportData(storage: Storage, sweep: SweepRecord, planned: number | null, isLive: (p: ProcessRecord) => boolean): Promise<ReportData> {
  const [trials, processes] = [await storage.listTrials(sweep.id, { withEpochs: true }), await storage.listProcesses(sweep.id)];
  return buildReportData(sweep, trials, processes, planned, storage.location, isLive);
}
