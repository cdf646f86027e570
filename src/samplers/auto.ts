/**
 * `bayes: {sampler: auto}`: the Gaussian process where it measured best, the TPE elsewhere. The rule, from
 * `npm run bench:quality` (the shared functions and the HPOBench tables; figures in the README):
 *
 * - a space where some trials lack a parameter (a `when:` condition its parent can fail) goes to the TPE,
 *   which models each branch on the trials that hold it (the GP would see a value the trial does not have);
 * - every other space goes to the GP, categorical parameters included (on the mixed reference surface, three
 *   optimizers beside three numeric parameters, the GP's median best after 100 trials is 40× closer to the
 *   optimum than the TPE's), until GP_TRIAL_LIMIT trials are complete: its cost grows with the cube of the
 *   trials, and by then the TPE has observations enough to model the space.
 */
import type { Conditions, Distribution } from '../core/params.js';
import type { TrialRecord } from '../core/records.js';
import type { Params } from '../space/distributions.js';
import type { Sampler } from './sampler.js';
import { mayBeInactive } from '../space/conditions.js';

export const GP_TRIAL_LIMIT = 200;

/**
 * Whether the rule gives the space to the GP (until GP_TRIAL_LIMIT trials): something to search, and every
 * parameter in every trial (a condition that always holds, as the trainer's `units` when `layers ≥ 1` with
 * layers in 1…3, leaves the space flat).
 */
export function gpSpace(parameters: Record<string, Distribution>, conditions: Conditions | undefined): boolean {
  return mayBeInactive(parameters, conditions).length === 0 && Object.values(parameters).some((d) => d.type !== 'constant');
}

export class AutoSampler implements Sampler {
  private readonly gpSpace: boolean;

  constructor(
    parameters: Record<string, Distribution>,
    conditions: Conditions | undefined,
    private readonly gp: Sampler,
    private readonly tpe: Sampler,
  ) {
    this.gpSpace = gpSpace(parameters, conditions);
  }

  /** Which sampler answers after `complete` complete trials. */
  choice(complete: number): 'gp' | 'tpe' {
    return this.gpSpace && complete < GP_TRIAL_LIMIT ? 'gp' : 'tpe';
  }

  size(): null {
    return null;
  }

  sample(index: number, history: readonly TrialRecord[]): Params | null {
    const complete = history.reduce((n, t) => n + (t.state === 'complete' ? 1 : 0), 0);
    return (this.choice(complete) === 'gp' ? this.gp : this.tpe).sample(index, history);
  }
}
