/**
 * What to run next, decided from the claim view the database computes inside the claim's transaction: a
 * re-run of a configuration whose every trial was interrupted (once: not while a re-run of it runs), else
 * the sampler's next configuration. Pure: the same view and sampler always give the same plan, so any
 * process, or a resumed one, plans as one process would.
 */
import { bestOfRange, targetReached, type MetricSpec } from '../core/metric.js';
import type { ClaimView, NewTrial } from '../core/records.js';
import type { Conditions, Distribution } from '../core/params.js';
import { activeParams } from '../space/conditions.js';
import type { Sampler } from '../samplers/sampler.js';
import { deriveSeed } from '../space/rng.js';

export interface PlanInput {
  view: ClaimView;
  sampler: Sampler;
  metric: MetricSpec;
  parameters: Readonly<Record<string, Distribution>>;
  /** The parameters' `when:` conditions: a configuration keeps only its active parameters. */
  conditions?: Conditions;
  seed: number;
  /** Completed trials the sweep aims at, or null when unbounded. */
  planned: number | null;
  /** The sampler already said the space has no configuration left. */
  exhausted: boolean;
}

/** A trial to start (`rerun`: an interrupted configuration again), nothing now, or the space exhausted. */
export type Plan = { kind: 'run'; trial: NewTrial; rerun: boolean } | { kind: 'none' } | { kind: 'exhausted' };

export function planNext(input: PlanInput): Plan {
  const { view } = input;
  // Another process's trial may have reached the target since this one last looked.
  if (targetReached(input.metric, bestOfRange(input.metric.goal, view))) return { kind: 'none' };
  // The cap counts every process's running trials: a trial that would exceed it is not started.
  if (view.completed + view.runningConfigs.length >= (input.planned ?? Infinity)) return { kind: 'none' };
  const again = view.reruns[0];
  if (again) return { kind: 'run', rerun: true, trial: newTrial(input, again.configIndex, again.params) };
  if (input.exhausted) return { kind: 'none' };
  const params = input.sampler.sample(view.nextIndex, view.history ?? []);
  if (params === null) return { kind: 'exhausted' };
  return { kind: 'run', rerun: false, trial: newTrial(input, view.nextIndex, activeParams(params, input.conditions)) };
}

function newTrial(input: PlanInput, configIndex: number, params: NewTrial['params']): NewTrial {
  return {
    configIndex,
    params,
    distributions: Object.fromEntries(Object.keys(params).map((k) => [k, input.parameters[k]!])),
    // A configuration's seed: the same for its re-run, in any process.
    seed: deriveSeed(input.seed, 'trial', configIndex),
  };
}
