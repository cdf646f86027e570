import type { SweepSpec } from '../sweep-file/types.js';
import type { AnySamplerPlugin } from './plugin.js';
import { SAMPLERS, samplerPlugin } from './registry.js';
import type { Sampler } from './sampler.js';
import { isMultiObjective, objectivesOf, type Objectives } from '../core/metric.js';

export type { Sampler } from './sampler.js';
export { GridSampler } from './grid.js';
export { RandomSampler } from './random.js';
export { TpeSampler, TPE_DEFAULTS, OPTUNA_TPE, defaultGamma, type TpeSettings } from './tpe/tpe.js';
export { GpSampler, GP_DEFAULTS, type GpSettings } from './gp/gp.js';
export { AutoSampler, GP_TRIAL_LIMIT } from './auto.js';
export { BAYES_DEFAULTS, type BayesSettings } from './bayes.js';
export { SAMPLERS, samplerPlugin } from './registry.js';

/** The plug-in of the sweep's method (a stored spec of another version may name one this version lacks). */
export function samplerOf(spec: Pick<SweepSpec, 'method'>): AnySamplerPlugin {
  const plugin = samplerPlugin(spec.method);
  if (!plugin) throw new Error(`unknown method "${spec.method}" (known: ${SAMPLERS.map((p) => p.method).join(', ')})`);
  return plugin;
}

/** The settings of the spec's method, from its block (`spec.bayes`), or the plug-in's defaults. */
export function samplerSettings(spec: SweepSpec): unknown {
  const plugin = samplerOf(spec);
  const block = (spec as unknown as Record<string, unknown>)[plugin.method];
  return plugin.keys && block ? block : plugin.resolve(undefined);
}

export function createSampler(spec: SweepSpec): Sampler {
  return samplerOf(spec).create({ parameters: spec.parameters, ...(spec.conditions ? { conditions: spec.conditions } : {}), goal: spec.metric.goal, ...objectivesInput(spec), seed: spec.seed, settings: samplerSettings(spec) });
}

/** The sampler's `objectives`, when there is more to say than the goal: several objectives, or constraints. */
export function objectivesInput(spec: Pick<SweepSpec, 'metric' | 'metrics' | 'constraints'>): { objectives?: Objectives } {
  const objectives = objectivesOf(spec);
  return isMultiObjective(objectives) || objectives.constraints.length > 0 ? { objectives } : {};
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
