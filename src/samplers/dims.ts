/**
 * How the model-based samplers (the TPE, the GP) see each parameter: a numeric axis (linear or log, continuous or on a step grid) or a set of
 * categories. Values go into this internal space to be modelled and come back out as the user's values.
 */
import { cdfOf, decimalsOf, quantileOf, quantizeWithin, roundTo, type Distribution, type ParamValue, type Params } from '../space/distributions.js';
import type { TrialRecord } from '../core/records.js';
import { deriveSeed } from '../space/rng.js';
import type { RandomSampler } from './random.js';

export type Dim =
  | {
      kind: 'numeric';
      name: string;
      /** Bounds in the internal space (log of the value for log scales). */
      low: number;
      high: number;
      /** Grid step in the internal space (linear only), or null when continuous. */
      step: number | null;
      toInternal(value: ParamValue): number | null;
      toExternal(x: number): ParamValue;
    }
  | {
      kind: 'categorical';
      name: string;
      choices: ParamValue[];
      /** The categories' prior probabilities (uniform unless the sweep file gives `probabilities`). */
      prior: number[];
      toInternal(value: ParamValue): number | null;
      toExternal(x: number): ParamValue;
    };

const num = (v: ParamValue): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The TPE's view of a distribution, or null for a constant (nothing to search). */
export function toDim(name: string, dist: Distribution): Dim | null {
  switch (dist.type) {
    case 'constant':
      return null;
    case 'categorical': {
      // Values are JSON scalars, so a Map keyed by the value itself finds them (and is the hot path of the TPE).
      const index = new Map<ParamValue, number>();
      dist.values.forEach((v, i) => (index.has(v) ? undefined : index.set(v, i)));
      return {
        kind: 'categorical',
        name,
        choices: dist.values,
        prior: dist.probabilities ?? dist.values.map(() => 1 / dist.values.length),
        toInternal: (v) => index.get(v) ?? null,
        toExternal: (x) => dist.values[x]!,
      };
    }
    case 'uniform':
      return { kind: 'numeric', name, low: dist.min, high: dist.max, step: null, toInternal: num, toExternal: (x) => x };
    case 'log_uniform_values':
    case 'log_uniform':
    case 'inv_log_uniform':
    case 'inv_log_uniform_values': {
      // On the log of the value: inv_log_uniform's bounds are those of log(1/X).
      const [low, high] =
        dist.type === 'log_uniform' ? [dist.min, dist.max] : dist.type === 'inv_log_uniform' ? [-dist.max, -dist.min] : [Math.log(dist.min), Math.log(dist.max)];
      return {
        kind: 'numeric',
        name,
        low,
        high,
        step: null,
        toInternal: (v) => (num(v) !== null && (v as number) > 0 ? Math.log(v as number) : null),
        toExternal: (x) => Math.min(Math.exp(high), Math.max(Math.exp(low), Math.exp(x))),
      };
    }
    case 'q_log_uniform_values': {
      // Modelled as continuous on the log scale, then snapped to the grid of q inside the bounds.
      return {
        kind: 'numeric',
        name,
        low: Math.log(dist.min),
        high: Math.log(dist.max),
        step: null,
        toInternal: (v) => (num(v) !== null && (v as number) > 0 ? Math.log(v as number) : null),
        toExternal: (x) => quantizeWithin(Math.exp(x), dist.q, dist.min, dist.max),
      };
    }
    case 'normal':
    case 'q_normal':
    case 'log_normal':
    case 'q_log_normal':
    case 'beta':
    case 'q_beta':
      // In the distribution's quantile space, as W&B's own engine models them: [0, 1] whatever the support, the
      // prior's mass spread evenly; a q_ value comes back rounded to its step.
      return {
        kind: 'numeric',
        name,
        low: 0,
        high: 1,
        step: null,
        toInternal: (v) => (num(v) === null ? null : cdfOf(dist, v as number)),
        toExternal: (x) => quantileOf(dist, x),
      };
    case 'int_uniform':
    case 'q_uniform': {
      const q = dist.q;
      const dec = decimalsOf(q);
      // The grid: int_uniform counts from min; q_uniform holds the multiples of q inside [min, max].
      const low = dist.type === 'int_uniform' ? dist.min : roundTo(Math.ceil(dist.min / q - 1e-9) * q, dec);
      const steps = Math.floor((dist.type === 'int_uniform' ? dist.max - low : Math.floor(dist.max / q + 1e-9) * q - low) / q + 1e-9);
      const high = roundTo(low + steps * q, dec);
      return {
        kind: 'numeric',
        name,
        low,
        high,
        step: q,
        toInternal: num,
        toExternal: (x) => roundTo(low + Math.round((x - low) / q) * q, dec),
      };
    }
  }
}

/** The dimensions of a space, in file order, constants left out. */
export function dimsOf(parameters: Record<string, Distribution>): Dim[] {
  return Object.entries(parameters)
    .map(([name, dist]) => toDim(name, dist))
    .filter((d): d is Dim => d !== null);
}

/** A proposal as the sampler answers it: every parameter in file order, constants at their value. */
export function inFileOrder(parameters: Record<string, Distribution>, proposed: Params): Params {
  return Object.fromEntries(Object.entries(parameters).map(([name, dist]) => [name, name in proposed ? proposed[name]! : dist.type === 'constant' ? dist.value : null]));
}

/** A configuration's identity, to tell whether it is already running. */
export function configKey(params: Params): string {
  return JSON.stringify(params);
}

/** The configurations of the trials in flight. */
export function runningConfigs(history: readonly TrialRecord[]): Set<string> {
  return new Set(history.filter((t) => t.state === 'running' || t.state === 'queued').map((t) => configKey(t.params)));
}

/**
 * A random configuration that is not running, for when a model's proposals all are (a tiny discrete space):
 * up to 100 draws, each from its own stream of (index, attempt); null when every one was running.
 */
export function drawNotRunning(random: RandomSampler, index: number, running: ReadonlySet<string>): Params | null {
  for (let attempt = 0; attempt < 100; attempt++) {
    const draw = random.sample(deriveSeed(index, 'fallback', attempt));
    if (!running.has(configKey(draw))) return draw;
  }
  return null;
}
