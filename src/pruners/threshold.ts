/** Optuna's ThresholdPruner: stop a trial whose latest value is below `lower`, above `upper`, or NaN. */
import { isFirstInIntervalStep } from './percentile.js';
import { type Curve, type Pruner, lastStepOf } from './pruner.js';

export interface ThresholdSettings {
  lower: number | null;
  upper: number | null;
  n_warmup_steps: number;
  interval_steps: number;
}

export class ThresholdPruner implements Pruner {
  constructor(private readonly settings: ThresholdSettings) {}

  prune(trial: Curve): boolean {
    const { lower, upper, n_warmup_steps, interval_steps } = this.settings;
    const step = lastStepOf(trial);
    if (step === null || step < n_warmup_steps) return false;
    if (!isFirstInIntervalStep(step, trial.steps, n_warmup_steps, interval_steps)) return false;
    const latest = trial.values[trial.values.length - 1]!;
    if (Number.isNaN(latest)) return true;
    return (lower !== null && latest < lower) || (upper !== null && latest > upper);
  }
}
