/**
 * Parameter distributions with W&B sweep semantics. A trial stores each value beside the distribution it came
 * from (see storage), so these objects are plain JSON and round-trip through the database unchanged.
 */
// jstat is CommonJS: its namespace comes through the default import.
import jstatModule from 'jstat';
const { jStat } = jstatModule as unknown as typeof import('jstat');
import type { Rng } from './rng.js';

export type { Distribution, ParamValue, Params } from '../core/params.js';
import type { Distribution, ParamValue } from '../core/params.js';

export type DistributionType = Distribution['type'];

export const DISTRIBUTION_TYPES: readonly DistributionType[] = [
  'constant',
  'categorical',
  'uniform',
  'int_uniform',
  'q_uniform',
  'log_uniform_values',
  'q_log_uniform_values',
  'log_uniform',
  'inv_log_uniform',
  'inv_log_uniform_values',
  'normal',
  'q_normal',
  'log_normal',
  'q_log_normal',
  'beta',
  'q_beta',
];

/** The distributions drawn through their quantile function, as W&B's engine draws them (`ppf`). */
export type QuantileDistribution = Extract<Distribution, { type: 'normal' | 'q_normal' | 'log_normal' | 'q_log_normal' | 'beta' | 'q_beta' }>;

export function isQuantileDistribution(dist: Distribution): dist is QuantileDistribution {
  return dist.type === 'normal' || dist.type === 'q_normal' || dist.type === 'log_normal' || dist.type === 'q_log_normal' || dist.type === 'beta' || dist.type === 'q_beta';
}

/** numpy's round (half to even), which W&B's q_ distributions use: round(x / q) · q. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** x rounded to a multiple of q as W&B does, without float noise (3 × 0.1 is 0.3). */
export function roundToStep(x: number, q: number): number {
  return roundTo(roundHalfEven(x / q) * q, decimalsOf(q));
}

/**
 * The value at quantile u of a normal, log-normal or beta distribution (W&B's `ppf`; the q_ variants rounded to
 * a multiple of q). u is kept inside [1e-12, 1 − 1e-12]: the quantiles 0 and 1 of a normal are infinite.
 */
export function quantileOf(dist: QuantileDistribution, u: number): number {
  const p = Math.min(1 - 1e-12, Math.max(1e-12, u));
  let x: number;
  if (dist.type === 'beta' || dist.type === 'q_beta') x = jStat.beta.inv(p, dist.a, dist.b);
  else {
    const z = dist.sigma > 0 ? jStat.normal.inv(p, dist.mu, dist.sigma) : dist.mu;
    x = dist.type === 'log_normal' || dist.type === 'q_log_normal' ? Math.exp(z) : z;
  }
  return 'q' in dist ? roundToStep(x, dist.q) : x;
}

/** The quantile of a value under a normal, log-normal or beta distribution (W&B's `cdf`), or null if it cannot be one. */
export function cdfOf(dist: QuantileDistribution, x: number): number | null {
  if (!Number.isFinite(x)) return null;
  if (dist.type === 'beta' || dist.type === 'q_beta') return x < 0 || x > 1 ? null : jStat.beta.cdf(x, dist.a, dist.b);
  const z = dist.type === 'log_normal' || dist.type === 'q_log_normal' ? (x > 0 ? Math.log(x) : null) : x;
  if (z === null) return null;
  return dist.sigma > 0 ? jStat.normal.cdf(z, dist.mu, dist.sigma) : z < dist.mu ? 0 : 1;
}

/** Distributions a grid can enumerate. */
export function isDiscrete(dist: Distribution): boolean {
  return dist.type === 'constant' || dist.type === 'categorical' || dist.type === 'int_uniform' || dist.type === 'q_uniform';
}

/** Decimal places of a step, so that 3 × 0.1 is stored as 0.3 rather than 0.30000000000000004. */
export function decimalsOf(q: number): number {
  const text = String(q);
  if (text.includes('e-')) return Number(text.split('e-')[1]) + (text.split('e-')[0]!.split('.')[1]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

/** x rounded to `decimals` places; toFixed takes at most 100, and a step that fine has no float error worth removing. */
export function roundTo(x: number, decimals: number): number {
  return decimals <= 100 ? Number(x.toFixed(decimals)) : x;
}

export function snap(value: number, q: number): number {
  return roundTo(Math.round(value / q) * q, decimalsOf(q));
}

/** Rounds x to a multiple of q inside [min, max] (rounding may step just outside when min is not a multiple of q). */
export function quantizeWithin(x: number, q: number, min: number, max: number): number {
  let v = snap(x, q);
  if (v < min) v = snap(v + q, q);
  if (v > max) v = snap(v - q, q);
  return v;
}

export function sample(dist: Distribution, rng: Rng): ParamValue {
  switch (dist.type) {
    case 'constant':
      return dist.value;
    case 'categorical': {
      const u = rng();
      if (!dist.probabilities) return dist.values[Math.floor(u * dist.values.length)]!;
      let acc = 0;
      for (let i = 0; i < dist.values.length; i++) {
        acc += dist.probabilities[i]!;
        if (u < acc) return dist.values[i]!;
      }
      return dist.values[dist.values.length - 1]!;
    }
    case 'uniform':
      return dist.min + rng() * (dist.max - dist.min);
    case 'int_uniform': {
      const steps = Math.floor((dist.max - dist.min) / dist.q) + 1;
      return dist.min + Math.floor(rng() * steps) * dist.q;
    }
    case 'q_uniform':
      return quantizeWithin(dist.min + rng() * (dist.max - dist.min), dist.q, dist.min, dist.max);
    case 'log_uniform_values': {
      const lo = Math.log(dist.min);
      return Math.exp(lo + rng() * (Math.log(dist.max) - lo));
    }
    case 'q_log_uniform_values': {
      const lo = Math.log(dist.min);
      return quantizeWithin(Math.exp(lo + rng() * (Math.log(dist.max) - lo)), dist.q, dist.min, dist.max);
    }
    case 'log_uniform':
      return Math.exp(dist.min + rng() * (dist.max - dist.min));
    case 'inv_log_uniform':
      // W&B: exp(−uniform.ppf(1 − u, min, max − min)).
      return Math.exp(-(dist.min + (1 - rng()) * (dist.max - dist.min)));
    case 'inv_log_uniform_values': {
      // W&B turns the values' bounds into log(1/max), log(1/min) and draws as inv_log_uniform.
      const lo = Math.log(1 / dist.max);
      return Math.exp(-(lo + (1 - rng()) * (Math.log(1 / dist.min) - lo)));
    }
    default:
      return quantileOf(dist, rng());
  }
}

/** The values of a discrete distribution as a grid axis: its length and its i-th value, computed, not listed. */
export interface Axis {
  length: number;
  at(i: number): ParamValue;
}

/**
 * A discrete distribution's values in order, without listing them: an int_uniform over [0, 1e9] is a
 * billion values and must cost nothing until one is asked for. Throws for a continuous one (callers check).
 */
export function axisOf(dist: Distribution): Axis {
  switch (dist.type) {
    case 'constant':
      return { length: 1, at: () => dist.value };
    case 'categorical': {
      // A value listed twice would run the same configuration twice.
      const seen = new Set<string>();
      const values = dist.values.filter((v) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return { length: values.length, at: (i) => values[i]! };
    }
    case 'int_uniform':
      return { length: Math.floor((dist.max - dist.min) / dist.q) + 1, at: (i) => dist.min + i * dist.q };
    case 'q_uniform': {
      const first = Math.ceil(dist.min / dist.q - 1e-9);
      const last = Math.floor(dist.max / dist.q + 1e-9);
      return { length: Math.max(0, last - first + 1), at: (i) => snap((first + i) * dist.q, dist.q) };
    }
    default:
      throw new Error(`a ${dist.type} distribution has no finite set of values`);
  }
}

/** Every value a discrete distribution can take, in order (small axes only: it lists them). */
export function enumerate(dist: Distribution): ParamValue[] {
  if (dist.type === 'categorical') return dist.values;
  const axis = axisOf(dist);
  return Array.from({ length: axis.length }, (_, i) => axis.at(i));
}

/** Short human description, used by `validate` and the tables. */
export function describe(dist: Distribution): string {
  switch (dist.type) {
    case 'constant':
      return `constant ${JSON.stringify(dist.value)}`;
    case 'categorical':
      return `categorical ${JSON.stringify(dist.values)}${dist.probabilities ? ` p=${JSON.stringify(dist.probabilities)}` : ''}`;
    case 'int_uniform':
      return `int_uniform [${dist.min}, ${dist.max}]${dist.q !== 1 ? ` step ${dist.q}` : ''}`;
    case 'q_uniform':
    case 'q_log_uniform_values':
      return `${dist.type} [${dist.min}, ${dist.max}] q=${dist.q}`;
    case 'log_uniform':
      return `log_uniform [e^${dist.min}, e^${dist.max}]`;
    case 'inv_log_uniform':
      return `inv_log_uniform [e^-${dist.max}, e^-${dist.min}]`;
    case 'normal':
    case 'log_normal':
      return `${dist.type} mu=${dist.mu} sigma=${dist.sigma}`;
    case 'q_normal':
    case 'q_log_normal':
      return `${dist.type} mu=${dist.mu} sigma=${dist.sigma} q=${dist.q}`;
    case 'beta':
      return `beta a=${dist.a} b=${dist.b}`;
    case 'q_beta':
      return `q_beta a=${dist.a} b=${dist.b} q=${dist.q}`;
    default:
      return `${dist.type} [${dist.min}, ${dist.max}]`;
  }
}

/**
 * Where a numeric distribution's values lie, for charts and importance: its bounds, or for an unbounded one
 * the quantiles 0.001 and 0.999; `log` when its values spread on a log scale. Null for the others.
 */
export function numericRange(dist: Distribution): { low: number; high: number; log: boolean } | null {
  switch (dist.type) {
    case 'constant':
    case 'categorical':
      return null;
    case 'log_uniform':
      return { low: Math.exp(dist.min), high: Math.exp(dist.max), log: true };
    case 'inv_log_uniform':
      return { low: Math.exp(-dist.max), high: Math.exp(-dist.min), log: true };
    case 'log_uniform_values':
    case 'q_log_uniform_values':
    case 'inv_log_uniform_values':
      return { low: dist.min, high: dist.max, log: true };
    case 'uniform':
    case 'int_uniform':
    case 'q_uniform':
      return { low: dist.min, high: dist.max, log: false };
    default:
      return { low: quantileOf(dist, 0.001), high: quantileOf(dist, 0.999), log: dist.type === 'log_normal' || dist.type === 'q_log_normal' };
  }
}

/** The lowest and highest values a numeric distribution can draw (for a normal, its quantiles 1e-12 and 1 − 1e-12), or null. */
export function extremesOf(dist: Distribution): [number, number] | null {
  switch (dist.type) {
    case 'constant':
    case 'categorical':
      return null;
    case 'log_uniform':
      return [Math.exp(dist.min), Math.exp(dist.max)];
    case 'inv_log_uniform':
      return [Math.exp(-dist.max), Math.exp(-dist.min)];
    case 'uniform':
    case 'int_uniform':
    case 'q_uniform':
    case 'log_uniform_values':
    case 'q_log_uniform_values':
    case 'inv_log_uniform_values':
      return [dist.min, dist.max];
    default:
      return [quantileOf(dist, 0), quantileOf(dist, 1)];
  }
}
