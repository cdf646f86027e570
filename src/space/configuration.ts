/**
 * A configuration given by a person (`enqueue:`, `tfsweep enqueue`, `tfsweep import`) checked against the
 * sweep's space: every value one its parameter's distribution can take, every parameter active under its
 * `when:` conditions; and completed, the parameters it leaves out drawn at random as the sampler would.
 */
import type { Conditions, Distribution, ParamValue, Params } from '../core/params.js';
import { activeParams, isActive, parentsFirst } from './conditions.js';
import { extremesOf, sample } from './distributions.js';
import { createRng } from './rng.js';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const onGrid = (x: number, origin: number, q: number): boolean => Math.abs((x - origin) / q - Math.round((x - origin) / q)) < 1e-9;

/** Why `value` is not one `dist` can take, or null when it is. */
export function valueProblem(dist: Distribution, value: unknown): string | null {
  if (dist.type === 'constant') return same(value, dist.value) ? null : `expected ${JSON.stringify(dist.value)} (its one value), got ${JSON.stringify(value)}`;
  if (dist.type === 'categorical') {
    return dist.values.some((v) => same(v, value)) ? null : `expected one of ${JSON.stringify(dist.values).slice(0, 200)}, got ${JSON.stringify(value)}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${JSON.stringify(value)}`;
  const [lo, hi] = extremesOf(dist)!;
  const tolerance = 1e-9 * Math.max(1, Math.abs(lo), Math.abs(hi));
  if (value < lo - tolerance || value > hi + tolerance) return `expected a value in [${lo}, ${hi}], got ${value}`;
  if (dist.type === 'int_uniform' && !onGrid(value, dist.min, dist.q)) return `expected an integer ${dist.q === 1 ? '' : `on the grid ${dist.min} + k·${dist.q} `}in [${dist.min}, ${dist.max}], got ${value}`;
  if ('q' in dist && dist.type !== 'int_uniform' && typeof dist.q === 'number' && !onGrid(value, 0, dist.q)) return `expected a multiple of q = ${dist.q}, got ${value}`;
  return null;
}

/**
 * Why `params` is not a configuration of the space (an unknown parameter, a value out of its distribution,
 * a parameter its condition leaves out), and which parameter, or null. Parameters it does not give are allowed (they are drawn).
 */
export function configurationProblem(parameters: Readonly<Record<string, Distribution>>, conditions: Conditions | undefined, params: Readonly<Record<string, unknown>>): { name: string; message: string } | null {
  for (const [name, value] of Object.entries(params)) {
    const dist = parameters[name];
    if (!dist) return { name, message: `unknown parameter "${name}" (the sweep's: ${Object.keys(parameters).join(', ')})` };
    const problem = valueProblem(dist, value);
    if (problem) return { name, message: `"${name}": ${problem}` };
  }
  if (conditions) {
    for (const name of Object.keys(params)) {
      if (!isActive(name, params as Params, conditions)) return { name, message: `"${name}" does not apply under its when: condition (${JSON.stringify(conditions[name])}) with these values` };
    }
  }
  return null;
}

/**
 * The configuration whole: the given values, and every active parameter it leaves out drawn from its
 * distribution (a stream of its own from `seed`), parents before the parameters their conditions name.
 */
export function completeConfiguration(parameters: Readonly<Record<string, Distribution>>, conditions: Conditions | undefined, params: Readonly<Record<string, ParamValue>>, seed: number): Params {
  const rng = createRng(seed);
  const out: Params = { ...params };
  for (const name of parentsFirst(Object.keys(parameters), conditions ?? {})) {
    if (name in out) continue;
    if (conditions && !isActive(name, out, conditions)) continue;
    out[name] = sample(parameters[name]!, rng);
  }
  // In the file's order, and without what the values drawn made inactive.
  const ordered: Params = {};
  for (const name of Object.keys(parameters)) if (name in out) ordered[name] = out[name]!;
  return activeParams(ordered, conditions);
}
