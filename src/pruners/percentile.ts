/**
 * Optuna's PercentilePruner (and MedianPruner, its 50th percentile): stop a trial whose best value so far is
 * worse than the given percentile of the complete trials' values at the same step. Defaults and edge cases
 * as Optuna 3/4: nothing before n_startup_trials trials are complete or before step n_warmup_steps; checks
 * every interval_steps after the warm-up (a check with no report at its step waits for the next report);
 * a trial whose every value is NaN is stopped; fewer than n_min_trials values at the step never stop one.
 */
import { type Curve, type PruneContext, type Pruner, lastStepOf, nanPercentile, valueAt } from './pruner.js';
import { SettingIssue, countSchema, settingOr } from '../core/settings.js';
import { bestValue, goalSign, isBetter } from '../core/metric.js';
import { definePruner } from './plugin.js';

export interface PercentileSettings {
  percentile: number;
  n_startup_trials: number;
  n_warmup_steps: number;
  interval_steps: number;
  n_min_trials: number;
}

/**
 * Optuna's `_is_first_in_interval_step`: whether `step` is the first reported step at or after the latest
 * pruning point (warm-up + k · interval) not after it.
 */
export function isFirstInIntervalStep(step: number, steps: readonly number[], warmup: number, interval: number): boolean {
  const nearestLowerPruningStep = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLowerPruningStep;
}

export class PercentilePruner implements Pruner {
  constructor(
    private readonly settings: PercentileSettings,
    private readonly context: PruneContext,
  ) {}

  prune(trial: Curve, all: readonly Curve[]): boolean {
    const { percentile, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials } = this.settings;
    const completed = all.filter((t) => t.state === 'complete');
    if (completed.length === 0 || completed.length < n_startup_trials) return false;
    const step = lastStepOf(trial);
    if (step === null || step < n_warmup_steps) return false;
    if (!isFirstInIntervalStep(step, trial.steps, n_warmup_steps, interval_steps)) return false;
    const { goal } = this.context;
    const best = bestValue(goal, trial.values);
    if (best === null) return true;
    const atStep: number[] = [];
    for (const t of completed) {
      const v = valueAt(t, step);
      if (v !== undefined) atStep.push(v);
    }
    if (atStep.length < n_min_trials) return false;
    // The percentile from the good end: the top `percentile` per cent by the goal.
    const p = nanPercentile(atStep, goalSign(goal) > 0 ? 100 - percentile : percentile);
    if (Number.isNaN(p)) return false;
    return isBetter(goal, p, best);
  }
}

const PERCENTILE_KEYS = {
  percentile: { type: 'number', minimum: 0, maximum: 100 },
  n_startup_trials: countSchema(0),
  n_warmup_steps: countSchema(0),
  interval_steps: countSchema(1),
  n_min_trials: countSchema(1),
};

function resolvePercentile(raw: Readonly<Record<string, unknown>>, percentile: number): PercentileSettings {
  return {
    percentile,
    n_startup_trials: settingOr(raw, 'n_startup_trials', 5),
    n_warmup_steps: settingOr(raw, 'n_warmup_steps', 0),
    interval_steps: settingOr(raw, 'interval_steps', 1),
    n_min_trials: settingOr(raw, 'n_min_trials', 1),
  };
}

/** Optuna's PercentilePruner. */
export const percentilePlugin = definePruner({
  type: 'percentile',
  example: { percentile: 25, n_startup_trials: 2 },
  description: "Optuna's PercentilePruner: stop a trial worse than the given percentile of complete trials at the same step",
  keys: PERCENTILE_KEYS,
  resolve(raw) {
    if (raw.percentile === undefined) throw new SettingIssue('percentile', 'is required for the percentile pruner (e.g. 25: keep the top 25%)');
    return resolvePercentile(raw, raw.percentile as number);
  },
  create: (settings, context) => new PercentilePruner(settings, context),
});

/** Optuna's MedianPruner: the percentile pruner at 50. */
export const medianPlugin = definePruner({
  type: 'median',
  example: { n_startup_trials: 2 },
  description: "Optuna's MedianPruner: stop a trial worse than the median of complete trials at the same step",
  keys: (({ percentile: _percentile, ...rest }) => rest)(PERCENTILE_KEYS),
  resolve: (raw) => resolvePercentile(raw, 50),
  create: (settings, context) => new PercentilePruner(settings, context),
});
