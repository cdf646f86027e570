/** Optuna's ThresholdPruner: stop a trial whose latest value is below `lower`, above `upper`, or NaN. */
import { isFirstInIntervalStep } from './percentile.js';
import { type Curve, type Pruner, lastStepOf } from './pruner.js';
import { SettingIssue, countSchema, settingOr } from '../core/settings.js';
import { definePruner } from './plugin.js';

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

/** Optuna's ThresholdPruner. */
export const thresholdPlugin = definePruner({
  type: 'threshold',
  example: { lower: 0.3 },
  description: "Optuna's ThresholdPruner: stop a trial whose latest value leaves [lower, upper] or is NaN",
  keys: { lower: { type: 'number' }, upper: { type: 'number' }, n_warmup_steps: countSchema(0), interval_steps: countSchema(1) },
  resolve(raw): ThresholdSettings {
    const lower = settingOr<number | null>(raw, 'lower', null);
    const upper = settingOr<number | null>(raw, 'upper', null);
    if (lower === null && upper === null) throw new SettingIssue(null, 'the threshold pruner needs "lower", "upper" or both');
    if (lower !== null && upper !== null && lower > upper) throw new SettingIssue('lower', `expected lower ≤ upper, got lower ${lower} > upper ${upper}`);
    return { lower, upper, n_warmup_steps: settingOr(raw, 'n_warmup_steps', 0), interval_steps: settingOr(raw, 'interval_steps', 1) };
  },
  create: (settings) => new ThresholdPruner(settings),
});
