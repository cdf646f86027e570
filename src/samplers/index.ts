import type { SweepSpec } from '../sweep-file/types.js';
import { GridSampler } from './grid.js';
import { RandomSampler } from './random.js';
import type { Sampler } from './sampler.js';
import { TPE_DEFAULTS, TpeSampler } from './tpe/tpe.js';

export type { Sampler } from './sampler.js';
export { GridSampler } from './grid.js';
export { RandomSampler } from './random.js';
export { TpeSampler, TPE_DEFAULTS, OPTUNA_TPE, defaultGamma, type TpeSettings } from './tpe/tpe.js';

export function createSampler(spec: SweepSpec): Sampler {
  switch (spec.method) {
    case 'grid':
      return new GridSampler(spec.parameters);
    case 'random':
      return new RandomSampler(spec.parameters, spec.seed);
    case 'bayes':
      return new TpeSampler(spec.parameters, spec.metric.goal, spec.seed, spec.bayes ?? TPE_DEFAULTS);
  }
}

/** Trials a sweep will complete when nothing fails: the grid's size and run_cap, whichever is smaller. */
export function plannedTrialCount(spec: SweepSpec): number | null {
  const size = createSampler(spec).size();
  if (size === null) return spec.run_cap;
  return spec.run_cap === null ? size : Math.min(size, spec.run_cap);
}

/** The planned trial count, or null when a stored spec cannot say (written by another version, edited). */
export function plannedOrNull(spec: SweepSpec): number | null {
  try {
    return plannedTrialCount(spec);
  } catch {
    return null;
  }
}
