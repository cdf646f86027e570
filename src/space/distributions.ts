/**
 * Parameter distributions with W&B sweep semantics. A trial stores each value beside the distribution it came
 * from (see storage), so these objects are plain JSON and round-trip through the database unchanged.
 */
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
];

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
    default:
      return `${dist.type} [${dist.min}, ${dist.max}]`;
  }
}
