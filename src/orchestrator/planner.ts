/**
 * What to run next, decided from the claim view the database computes inside the claim's transaction: an
 * existing trial again (an interrupted one resumed, a failed one retried, an enqueued one), else the
 * sampler's next configuration. Pure: the same view and sampler always give the same plan, so any
 * process, or a resumed one, plans as one process would.
 */
import { bestOfRange, targetReached, type MetricSpec } from '../core/metric.js';
import type { ClaimView, NewTrial, Rerun } from '../core/records.js';
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
  /** The cap is the grid's size, not run_cap: trials from outside the sampler's sequence (enqueued) run on top. */
  gridCap?: boolean;
  /** The sampler already said the space has no configuration left. */
  exhausted: boolean;
}

/** A new trial to start, an existing one to run again (`again`), nothing now, or the space exhausted. */
export type Plan = { kind: 'run'; trial: NewTrial; again: null } | { kind: 'run'; again: Rerun } | { kind: 'none' } | { kind: 'exhausted' };

export function planNext(input: PlanInput): Plan {
  const { view } = input;
  // Another process's trial may have reached the target since this one last looked.
  if (targetReached(input.metric, bestOfRange(input.metric.goal, view))) return { kind: 'none' };
  // The cap counts every process's running trials: a trial that would exceed it is not started.
  const cap = input.planned === null ? Infinity : input.planned + (input.gridCap ? view.outside : 0);
  if (view.completed + view.runningConfigs.length >= cap) return { kind: 'none' };
  const again = view.reruns[0];
  if (again) return { kind: 'run', again };
  if (input.exhausted) return { kind: 'none' };
  const params = input.sampler.sample(view.nextIndex, view.history ?? []);
  if (params === null) return { kind: 'exhausted' };
  return { kind: 'run', again: null, trial: newTrial(input, view.nextIndex, activeParams(params, input.conditions)) };
}

/** A configuration's seed: the same for every run of it, in any process. */
export function configSeed(sweepSeed: number, configIndex: number): number {
  return deriveSeed(sweepSeed, 'trial', configIndex);
}

export function newTrial(input: Pick<PlanInput, 'parameters' | 'seed'>, configIndex: number, params: NewTrial['params']): NewTrial {
  return {
    configIndex,
    params,
    distributions: Object.fromEntries(Object.keys(params).map((k) => [k, input.parameters[k]!])),
    seed: configSeed(input.seed, configIndex),
  };
}
