/**
 * Optuna's SuccessiveHalvingPruner (asynchronous successive halving, ASHA). Rung r ends at step
 * min_resource · reduction_factor^(min_early_stopping_rate + r); a trial reaching it goes on only if its value
 * there is among the top 1/reduction_factor of every trial's value at that rung (the first few trials of a
 * rung: only if it is the best), else it stops.
 *
 * Optuna remembers each trial's value at each rung in the trial's attributes as it checks; tfsweep reads it
 * back from the stored steps instead (a trial's rung value is its value at its first step at or after the rung's
 * end), so that decisions depend on nothing but the stored curves. The two agree whenever every step is
 * reported, as the built-in trainer's epochs are. `min_resource: auto` is Optuna's estimate (the longest
 * complete trial's last step / 100, at least 1); for the built-in trainer the epoch count is known up front
 * and used at once.
 */
import { compareValues, isAtLeast, type Goal } from '../core/metric.js';
import { type Curve, type PruneContext, type Pruner, lastStepOf } from './pruner.js';
import { SettingIssue, countSchema, settingOr } from '../core/settings.js';
import { AUTO_OR_COUNT, autoOrCount, definePruner } from './plugin.js';

export interface SuccessiveHalvingSettings {
  min_resource: number | 'auto';
  reduction_factor: number;
  min_early_stopping_rate: number;
  bootstrap_count: number;
}

/** Optuna's `_estimate_min_resource`; null while no trial has completed (and the length is unknown). */
export function estimateMinResource(all: readonly Curve[], lastStep: number | null): number | null {
  let last = lastStep;
  if (last === null) {
    const steps = all.filter((t) => t.state === 'complete').map(lastStepOf).filter((s): s is number => s !== null);
    if (steps.length === 0) return null;
    last = Math.max(...steps);
  }
  return Math.max(Math.floor(last / 100), 1);
}

/** Optuna's `_is_trial_promotable_to_next_rung`: `value` among the top 1/rf of `competing` (which holds it). */
export function isPromotable(value: number, competing: number[], reductionFactor: number, goal: Goal): boolean {
  let idx = Math.floor(competing.length / reductionFactor) - 1;
  // With fewer than rf values no trial can be suspended and resumed later, so only the best goes on.
  if (idx === -1) idx = 0;
  const ranked = [...competing].sort((a, b) => compareValues(goal, a, b));
  return isAtLeast(goal, value, ranked[idx]!);
}

/** A trial's value at the rung ending at `rungStep`: its value at its first step ≥ rungStep; undefined if it never got there. */
export function rungValue(curve: Curve, rungStep: number): number | undefined {
  for (let i = 0; i < curve.steps.length; i++) if (curve.steps[i]! >= rungStep) return curve.values[i];
  return undefined;
}

export class SuccessiveHalvingPruner implements Pruner {
  constructor(
    private readonly settings: SuccessiveHalvingSettings,
    private readonly context: PruneContext,
  ) {}

  prune(trial: Curve, all: readonly Curve[]): boolean {
    const step = lastStepOf(trial);
    if (step === null) return false;
    const minResource = this.settings.min_resource === 'auto' ? estimateMinResource(all, this.context.lastStep) : this.settings.min_resource;
    if (minResource === null) return false;
    const { reduction_factor: rf, min_early_stopping_rate: rate, bootstrap_count: bootstrap } = this.settings;
    const rungEnd = (rung: number): number => minResource * rf ** (rate + rung);
    // The rungs this trial completed at its earlier steps (it was promoted through each, or it would have stopped).
    const previous = trial.steps.length >= 2 ? trial.steps[trial.steps.length - 2]! : -Infinity;
    let rung = 0;
    while (rungEnd(rung) <= previous) rung++;
    const value = trial.values[trial.values.length - 1]!;
    const others = all.filter((t) => t.number !== trial.number);
    for (;;) {
      if (step < rungEnd(rung)) return false;
      if (Number.isNaN(value)) return true;
      const competing: number[] = [];
      for (const t of others) {
        const v = rungValue(t, rungEnd(rung));
        // A NaN stopped its trial before Optuna recorded it at the rung.
        if (v !== undefined && !Number.isNaN(v)) competing.push(v);
      }
      competing.push(value);
      if (competing.length <= bootstrap) return true;
      if (!isPromotable(value, competing, rf, this.context.goal)) return true;
      rung++;
    }
  }
}

/** Optuna's SuccessiveHalvingPruner. */
export const successiveHalvingPlugin = definePruner({
  type: 'successive_halving',
  example: { min_resource: 1, reduction_factor: 2 },
  description: "Optuna's SuccessiveHalvingPruner (ASHA): at each rung, only the top 1/reduction_factor go on",
  keys: { min_resource: AUTO_OR_COUNT, reduction_factor: countSchema(2, 1000), min_early_stopping_rate: countSchema(0, 100), bootstrap_count: countSchema(0) },
  resolve(raw): SuccessiveHalvingSettings {
    const min_resource = autoOrCount(raw, 'min_resource', 'auto');
    const bootstrap_count = settingOr(raw, 'bootstrap_count', 0);
    if (min_resource === 'auto' && bootstrap_count > 0) throw new SettingIssue('bootstrap_count', 'needs a numeric min_resource (Optuna refuses bootstrap_count with min_resource "auto")');
    return { min_resource, reduction_factor: settingOr(raw, 'reduction_factor', 4), min_early_stopping_rate: settingOr(raw, 'min_early_stopping_rate', 0), bootstrap_count };
  },
  create: (settings, context) => new SuccessiveHalvingPruner(settings, context),
});
