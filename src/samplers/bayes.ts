/**
 * `method: bayes`, with its `bayes:` block: the model-based samplers (the TPE and the Gaussian process) and
 * the rule that picks between them (`sampler: auto`, the default; see auto.ts and the README's Methods).
 */
import { countSchema } from '../core/settings.js';
import { defineSampler } from './plugin.js';
import { TPE_DEFAULTS, TpeSampler, type TpeSettings } from './tpe/tpe.js';
import { GP_DEFAULTS, GpSampler } from './gp/gp.js';
import { AutoSampler, GP_TRIAL_LIMIT, gpSpace } from './auto.js';

export type BayesSamplerKind = 'auto' | 'tpe' | 'gp';

export interface BayesSettings extends TpeSettings {
  sampler: BayesSamplerKind;
  /** The GP's quasi-random candidates per suggestion. */
  n_candidates: number;
}

export const BAYES_DEFAULTS: BayesSettings = { ...TPE_DEFAULTS, sampler: 'auto', n_candidates: GP_DEFAULTS.n_candidates };

/**
 * The settings a stored block means. A block stored before the GP existed has no `sampler` (nor
 * `min_step_bandwidth`): it ran the TPE without the grid floor, and a resumed sweep keeps doing so.
 */
function asStored(settings: Partial<BayesSettings> | null | undefined): BayesSettings {
  const given = settings ?? BAYES_DEFAULTS;
  return { ...BAYES_DEFAULTS, ...given, sampler: given.sampler ?? 'tpe', min_step_bandwidth: given.min_step_bandwidth ?? 0 };
}

export const bayesPlugin = defineSampler({
  method: 'bayes',
  example: { sampler: 'tpe', n_startup_trials: 3, n_ei_candidates: 12 },
  description: 'Bayesian optimisation: a Gaussian process or a Tree-structured Parzen Estimator (sampler: auto | gp | tpe), random for the first n_startup_trials',
  keys: {
    sampler: { enum: ['auto', 'tpe', 'gp'] },
    n_startup_trials: countSchema(0),
    n_ei_candidates: countSchema(1, 100_000),
    n_candidates: countSchema(1, 100_000),
    multivariate: { type: 'boolean' },
    constant_liar: { type: 'boolean' },
    prior_weight: { type: 'number', exclusiveMinimum: 0, maximum: 1e6 },
    bandwidth_factor: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    magic_clip_exponent: { type: 'number', minimum: 0.5, maximum: 3 },
    min_step_bandwidth: { type: 'number', minimum: 0, maximum: 100 },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
  },
  needsRunCap: true,
  needsHistory: true,
  resolve: (raw): BayesSettings => ({ ...BAYES_DEFAULTS, ...(raw as Partial<BayesSettings> | undefined) }),
  create: ({ parameters, conditions, goal, objectives, seed, settings }) => {
    const s = asStored(settings);
    const gp = () => new GpSampler(parameters, goal, seed, { n_startup_trials: s.n_startup_trials, n_candidates: s.n_candidates });
    const tpe = () => new TpeSampler(parameters, objectives ?? goal, seed, s);
    // The GP models one objective without constraints (validation refuses `sampler: gp` otherwise).
    if (objectives || s.sampler === 'tpe') return tpe();
    if (s.sampler === 'gp') return gp();
    return new AutoSampler(parameters, conditions, gp(), tpe());
  },
  describe: (block, space) => {
    const b = asStored(block);
    const tpe = `TPE (${b.n_ei_candidates} candidates, ${b.multivariate ? 'multivariate' : 'independent'}${b.constant_liar ? ', constant liar' : ''})`;
    const gp = `Gaussian process (Matérn-5/2, log EI over ${b.n_candidates} candidates)`;
    const multi = space?.objectives && space.objectives.metrics.length > 1;
    const auto = !space
      ? `auto: ${gp} until ${GP_TRIAL_LIMIT} trials are complete where every trial holds every parameter, else ${tpe}`
      : space.objectives
        ? `auto: here ${multi ? 'multi-objective ' : ''}${tpe}${multi ? ', good trials by Pareto front and hypervolume' : ''}${space.objectives.constraints.length ? ', trials meeting the constraints first' : ''}`
        : gpSpace(space.parameters, space.conditions)
        ? `auto: here ${gp}, then from the ${GP_TRIAL_LIMIT}th complete trial ${tpe}`
        : `auto: here ${tpe} (some trials lack a parameter under its when: condition)`;
    const which = b.sampler === 'gp' ? gp : b.sampler === 'tpe' ? tpe : auto;
    return `${which}; ${b.n_startup_trials} random trials first`;
  },
});
