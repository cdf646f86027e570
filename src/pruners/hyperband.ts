/**
 * Optuna's HyperbandPruner: several successive-halving brackets with increasing min_early_stopping_rate
 * (0 … n_brackets − 1, n_brackets = ⌊log_rf(max_resource / min_resource)⌋ + 1); each trial belongs to one
 * bracket, chosen as Optuna does from crc32("<sweep name>_<trial number>") over the brackets' budgets
 * (⌈n_brackets · rf^s / (s + 1)⌉ for s = n_brackets − 1 − bracket), and is judged among its bracket's trials only.
 * `max_resource: auto` is Optuna's (the longest complete trial's last step + 1; nothing is stopped before one
 * completes); for the built-in trainer it is the epoch count, known up front.
 */
import { crc32 } from 'node:zlib';
import { type Curve, type PruneContext, type Pruner, lastStepOf } from './pruner.js';
import { SuccessiveHalvingPruner } from './successive-halving.js';
import { SettingIssue, countSchema, settingOr } from '../core/settings.js';
import { AUTO_OR_COUNT, autoOrCount, definePruner } from './plugin.js';

export interface HyperbandSettings {
  min_resource: number;
  max_resource: number | 'auto';
  reduction_factor: number;
  bootstrap_count: number;
}

export interface Brackets {
  count: number;
  budgets: number[];
  total: number;
}

export function bracketsFor(minResource: number, maxResource: number, reductionFactor: number): Brackets {
  const count = Math.floor(Math.log(maxResource / minResource) / Math.log(reductionFactor)) + 1;
  const budgets = Array.from({ length: count }, (_, bracket) => {
    const s = count - 1 - bracket;
    return Math.ceil((count * reductionFactor ** s) / (s + 1));
  });
  return { count, budgets, total: budgets.reduce((a, b) => a + b, 0) };
}

/** Optuna's `_get_bracket_id`: deterministic per sweep name and trial number. */
export function bracketOf(sweepName: string, trialNumber: number, brackets: Brackets): number {
  let n = crc32(`${sweepName}_${trialNumber}`) % brackets.total;
  for (let b = 0; b < brackets.count; b++) {
    n -= brackets.budgets[b]!;
    if (n < 0) return b;
  }
  throw new Error('unreachable: the budgets sum to the total');
}

export class HyperbandPruner implements Pruner {
  constructor(
    private readonly settings: HyperbandSettings,
    private readonly context: PruneContext,
  ) {}

  /** The brackets, once max_resource is known. */
  brackets(all: readonly Curve[]): Brackets | null {
    let max = this.settings.max_resource;
    if (max === 'auto') {
      if (this.context.lastStep !== null) max = this.context.lastStep + 1;
      else {
        const steps = all.filter((t) => t.state === 'complete').map(lastStepOf).filter((s): s is number => s !== null);
        if (steps.length === 0) return null;
        max = Math.max(...steps) + 1;
      }
    }
    return bracketsFor(this.settings.min_resource, max, this.settings.reduction_factor);
  }

  prune(trial: Curve, all: readonly Curve[]): boolean {
    const brackets = this.brackets(all);
    if (!brackets) return false;
    const bracket = bracketOf(this.context.sweepName, trial.number, brackets);
    const members = all.filter((t) => bracketOf(this.context.sweepName, t.number, brackets) === bracket);
    const halving = new SuccessiveHalvingPruner(
      { min_resource: this.settings.min_resource, reduction_factor: this.settings.reduction_factor, min_early_stopping_rate: bracket, bootstrap_count: this.settings.bootstrap_count },
      this.context,
    );
    return halving.prune(trial, members);
  }
}

/** Optuna's HyperbandPruner. */
export const hyperbandPlugin = definePruner({
  type: 'hyperband',
  example: { min_resource: 1, max_resource: 8, reduction_factor: 2 },
  description: "Optuna's HyperbandPruner: successive-halving brackets of several aggressiveness levels",
  keys: { min_resource: AUTO_OR_COUNT, max_resource: AUTO_OR_COUNT, reduction_factor: countSchema(2, 1000), bootstrap_count: countSchema(0) },
  resolve(raw): HyperbandSettings {
    const min_resource = autoOrCount(raw, 'min_resource', 1);
    if (min_resource === 'auto') throw new SettingIssue('min_resource', 'expected an integer ≥ 1 for hyperband (its default is 1)');
    const max_resource = autoOrCount(raw, 'max_resource', 'auto');
    const bootstrap_count = settingOr(raw, 'bootstrap_count', 0);
    if (max_resource === 'auto' && bootstrap_count > 0) throw new SettingIssue('bootstrap_count', 'needs a numeric max_resource (Optuna refuses bootstrap_count with max_resource "auto")');
    if (max_resource !== 'auto' && max_resource < min_resource) throw new SettingIssue('max_resource', `expected max_resource ≥ min_resource (${min_resource}), got ${max_resource}`);
    return { min_resource, max_resource, reduction_factor: settingOr(raw, 'reduction_factor', 3), bootstrap_count };
  },
  create: (settings, context) => new HyperbandPruner(settings, context),
});
