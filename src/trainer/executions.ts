/** Repeated trainings of one trial (executions_per_trial): their seeds and how their results combine. */
import { deriveSeed } from '../space/rng.js';
import type { EpochRecord, ExecutionRecord, Metrics } from '../core/records.js';

/** Execution 0 keeps the trial's seed, so one execution is exactly the trial it always was. */
export function executionSeed(trialSeed: number, execution: number): number {
  return execution === 0 ? trialSeed : deriveSeed(trialSeed, 'execution', execution);
}

export interface ExecutionRun {
  seed: number;
  metrics: Metrics;
  epochs: EpochRecord[];
  stoppedEpoch: number;
  bestEpoch: number | null;
  modelPath?: string | null;
  saveError?: { message: string; code: string | null };
}

/** The trial's metrics are each metric's mean over the executions (those every execution reported). */
export function aggregateExecutions(runs: readonly ExecutionRun[]): { metrics: Metrics; executions: ExecutionRecord[] } {
  const keys = Object.keys(runs[0]?.metrics ?? {}).filter((k) => runs.every((r) => typeof r.metrics[k] === 'number'));
  const metrics: Metrics = {};
  for (const k of keys) metrics[k] = runs.reduce((sum, r) => sum + r.metrics[k]!, 0) / runs.length;
  return {
    metrics,
    executions: runs.map((r, execution) => ({
      execution,
      seed: r.seed,
      value: null,
      metrics: r.metrics,
      stoppedEpoch: r.stoppedEpoch,
      bestEpoch: r.bestEpoch,
    })),
  };
}
