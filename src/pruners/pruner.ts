/**
 * Pruners: whether a running trial should stop at the step it just reported, judged from what the
 * database holds about every trial of the sweep (so a resumed or multi-process sweep decides the same
 * way). Each follows its reference's definitions (Optuna's pruners, W&B's hyperband early_terminate);
 * deviations are said where they are made and in the README.
 */
import type { Goal, TrialState } from '../core/records.js';

/** One trial's learning curve as a pruner reads it: the sweep metric's value at each reported step. */
export interface Curve {
  number: number;
  state: TrialState;
  /** Steps in increasing order (Optuna's steps: the built-in trainer's epoch e is step e − 1). */
  steps: number[];
  /** The metric at each step; NaN where it was not finite or not reported in that step's metrics. */
  values: number[];
}

export interface Pruner {
  /**
   * Should `trial` (running; its last step is the one just reported) stop now? `all` is every trial of the
   * sweep, `trial` included.
   */
  prune(trial: Curve, all: readonly Curve[]): boolean;
}

export interface PruneContext {
  goal: Goal;
  sweepName: string;
  /** The largest step a trial reaches when it is not stopped (the built-in trainer: epochs − 1), or null when only the trials can tell (a program). */
  lastStep: number | null;
}

export function lastStepOf(curve: Curve): number | null {
  return curve.steps.length ? curve.steps[curve.steps.length - 1]! : null;
}

export function valueAt(curve: Curve, step: number): number | undefined {
  // Steps are few per trial (epochs): a linear scan from the end finds recent steps first.
  for (let i = curve.steps.length - 1; i >= 0; i--) if (curve.steps[i] === step) return curve.values[i];
  return undefined;
}

/** numpy's nanpercentile with linear interpolation; NaN when no value is a number. */
export function nanPercentile(values: readonly number[], q: number): number {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = ((xs.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}
