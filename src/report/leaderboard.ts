/**
 * Ranking and the shapes the CLI prints and exports. Reads storage records only.
 */
import { ownerIsGone } from '../orchestrator/ownership.js';
import type { Params } from '../space/distributions.js';
import type { EpochRecord, Metrics, SweepRecord, TrialRecord } from '../storage/storage.js';

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
  /** One object per epoch: `epoch`, every metric, `duration_ms`. */
  epochs: Array<Record<string, number | null>>;
}

export interface RankedTrial extends TrialView {
  rank: number;
}

export function durationSeconds(trial: TrialRecord): number | null {
  if (!trial.startedAt || !trial.endedAt) return null;
  return (Date.parse(trial.endedAt) - Date.parse(trial.startedAt)) / 1000;
}

function epochView(epoch: EpochRecord): Record<string, number | null> {
  return { epoch: epoch.epoch, ...epoch.metrics, duration_ms: epoch.durationMs };
}

export function trialView(trial: TrialRecord): TrialView {
  return {
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
}

/** Completed trials, best first by the sweep's goal; ties keep trial order. */
export function rankTrials(sweep: SweepRecord, trials: readonly TrialRecord[]): RankedTrial[] {
  const sign = sweep.metric.goal === 'maximize' ? -1 : 1;
  return trials
    .filter((t) => t.state === 'complete' && t.value !== null)
    .sort((a, b) => sign * (a.value! - b.value!) || a.number - b.number)
    .map((t, i) => ({ rank: i + 1, ...trialView(t) }));
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
  owner: string | null;
  planned: number | null;
  counts: Record<TrialRecord['state'], number>;
  best: number | null;
  best_trial: number | null;
  created_at: string;
  updated_at: string;
  message: string | null;
}

export function summarize(sweep: SweepRecord, trials: readonly TrialRecord[], planned: number | null): SweepSummary {
  const alive = sweep.state === 'running' && !ownerIsGone(sweep);
  const counts = { queued: 0, running: 0, complete: 0, failed: 0, interrupted: 0 };
  // Trials a dead process left `running` are not running: the next run will mark them interrupted.
  for (const t of trials) counts[t.state === 'running' && !alive ? 'interrupted' : t.state]++;
  const top = rankTrials(sweep, trials)[0];
  return {
    name: sweep.name,
    method: sweep.method,
    metric: sweep.metric.name,
    goal: sweep.metric.goal,
    state: sweep.state === 'running' && !alive ? 'interrupted' : sweep.state,
    owner: alive ? sweep.owner : null,
    planned,
    counts,
    best: top?.value ?? null,
    best_trial: top?.number ?? null,
    created_at: sweep.createdAt,
    updated_at: sweep.updatedAt,
    message: sweep.state === 'running' && !alive ? 'its process is gone; run it again to resume' : sweep.message,
  };
}
