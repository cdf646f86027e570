/**
 * Conditional parameters (`when:`): a parameter exists only where each of its parents exists and meets its
 * condition. An inactive parameter is absent from the trial: not drawn into it, not passed, not stored.
 */
import type { Condition, Conditions, Distribution, ParamValue, Params } from '../core/params.js';
import { extremesOf } from './distributions.js';

export type { Condition, Conditions } from '../core/params.js';

/** Whether a parent's value (undefined: the parent is absent) meets a condition. */
export function holds(condition: Condition, value: ParamValue | undefined): boolean {
  if (value === undefined) return false;
  if ('values' in condition) return condition.values.some((v) => v === value);
  if (typeof value !== 'number') return false;
  return (condition.min === undefined || value >= condition.min) && (condition.max === undefined || value <= condition.max);
}

/** The names with every parent before its children (conditions are acyclic: validation refuses a cycle). */
export function parentsFirst(names: readonly string[], conditions: Conditions): string[] {
  const out: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const parent of Object.keys(conditions[name] ?? {})) if (names.includes(parent)) place(parent);
    out.push(name);
  };
  names.forEach(place);
  return out;
}

/** Whether a parameter is active given the values of the (active) parameters decided before it. */
export function isActive(name: string, params: Readonly<Params>, conditions: Conditions): boolean {
  const own = conditions[name];
  return !own || Object.entries(own).every(([parent, condition]) => holds(condition, params[parent]));
}

/** Whether every value the parent can take meets the condition (as `units` when `layers ≥ 1` with layers in 1…3). */
function alwaysHolds(condition: Condition, parent: Distribution): boolean {
  const values = parent.type === 'constant' ? [parent.value] : parent.type === 'categorical' ? parent.values : null;
  if (values) return values.every((v) => holds(condition, v));
  if ('values' in condition) return false;
  const extremes = extremesOf(parent);
  return extremes !== null && (condition.min === undefined || extremes[0] >= condition.min) && (condition.max === undefined || extremes[1] <= condition.max);
}

/**
 * The parameters some trial can lack: those with a condition their parent can fail, and those below a parent
 * that can itself be absent. A space where this is empty is flat whatever conditions it spells out.
 */
export function mayBeInactive(parameters: Readonly<Record<string, Distribution>>, conditions: Conditions | undefined): string[] {
  if (!conditions) return [];
  const names = Object.keys(parameters);
  const optional = new Set<string>();
  for (const name of parentsFirst(names, conditions)) {
    const own = conditions[name] ?? {};
    const sometimes = Object.entries(own).some(([parent, condition]) => !(parent in parameters) || optional.has(parent) || !alwaysHolds(condition, parameters[parent]!));
    if (sometimes) optional.add(name);
  }
  return names.filter((n) => optional.has(n));
}

/** `params` without its inactive parameters, in the same key order. */
export function activeParams(params: Params, conditions: Conditions | undefined): Params {
  if (!conditions || Object.keys(conditions).length === 0) return params;
  const active: Params = {};
  for (const name of parentsFirst(Object.keys(params), conditions)) if (isActive(name, active, conditions)) active[name] = params[name]!;
  return Object.fromEntries(Object.keys(params).filter((k) => k in active).map((k) => [k, active[k]!]));
}

/** A parameter's conditions in words: `optimizer = sgd, layers ≥ 3`. */
export function describeConditions(own: Readonly<Record<string, Condition>>): string {
  return Object.entries(own)
    .map(([parent, c]) => {
      if ('values' in c) return c.values.length === 1 ? `${parent} = ${JSON.stringify(c.values[0])}` : `${parent} in ${JSON.stringify(c.values)}`;
      if (c.min !== undefined && c.max !== undefined) return `${c.min} ≤ ${parent} ≤ ${c.max}`;
      return c.min !== undefined ? `${parent} ≥ ${c.min}` : `${parent} ≤ ${c.max}`;
    })
    .join(', ');
}
