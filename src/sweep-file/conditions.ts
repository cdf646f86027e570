/**
 * The parameters' `when:` blocks: each condition names another parameter of the sweep and gives a value, a list
 * of values or a numeric range `{min, max}`. Refused, naming the field: an unknown parent, a parameter that
 * depends on itself (directly or through others), a value the parent cannot take, a range it never reaches.
 */
import type { Condition, Conditions, Distribution, ParamValue } from '../core/params.js';
import { axisOf, extremesOf, isDiscrete } from '../space/distributions.js';
import { SpecIssue, type Segment } from './issues.js';

type RawCondition = ParamValue | ParamValue[] | { min?: number; max?: number };

export function conditionsOf(raw: Record<string, { when?: Record<string, RawCondition> }>, parameters: Record<string, Distribution>): Conditions {
  const conditions: Conditions = {};
  for (const [name, param] of Object.entries(raw)) {
    if (!param.when) continue;
    const own: Record<string, Condition> = {};
    for (const [parent, rawCondition] of Object.entries(param.when)) {
      const at: Segment[] = ['parameters', name, 'when', parent];
      if (parent === name) throw new SpecIssue(at, `"${name}" cannot depend on itself`);
      const dist = parameters[parent];
      if (!dist) throw new SpecIssue(at, `unknown parameter "${parent}": a condition names another parameter of this sweep (${Object.keys(parameters).join(', ')})`);
      own[parent] = checked(toCondition(rawCondition, at), dist, parent, at);
    }
    conditions[name] = own;
  }
  return conditions;
}

function toCondition(raw: RawCondition, at: Segment[]): Condition {
  if (Array.isArray(raw)) return { values: raw };
  if (raw !== null && typeof raw === 'object') {
    if (raw.min !== undefined && raw.max !== undefined && raw.min > raw.max) throw new SpecIssue(at, `can never hold: min ${raw.min} > max ${raw.max}`);
    return { ...(raw.min !== undefined ? { min: raw.min } : {}), ...(raw.max !== undefined ? { max: raw.max } : {}) };
  }
  return { values: [raw] };
}

/** The condition, once it is known that the parent can meet it (and meets it only with values it can take). */
function checked(condition: Condition, dist: Distribution, parent: string, at: Segment[]): Condition {
  const finite = dist.type === 'constant' || dist.type === 'categorical' || (isDiscrete(dist) && axisOf(dist).length <= 100_000);
  if ('values' in condition) {
    if (!finite) throw new SpecIssue(at, `"${parent}" is ${dist.type}: it takes any one value almost never; give a range {min, max}`);
    const axis = axisOf(dist);
    const possible = Array.from({ length: axis.length }, (_, i) => axis.at(i));
    for (const value of condition.values) {
      if (!possible.some((p) => p === value)) throw new SpecIssue(at, `"${parent}" cannot take ${JSON.stringify(value)} (it takes ${JSON.stringify(possible.slice(0, 20))}${possible.length > 20 ? ', …' : ''})`);
    }
    return condition;
  }
  const extremes = extremesOf(dist);
  const numbers = extremes ?? numericValues(dist);
  if (!numbers) throw new SpecIssue(at, `a range needs a numeric parameter; "${parent}" takes ${JSON.stringify((dist as { values?: unknown }).values ?? (dist as { value?: unknown }).value)}: give its values`);
  const [low, high] = numbers;
  if ((condition.min !== undefined && condition.min > high) || (condition.max !== undefined && condition.max < low)) {
    throw new SpecIssue(at, `can never hold: "${parent}" lies in [${low}, ${high}]`);
  }
  return condition;
}

/** The lowest and highest of a constant's or categorical's values when all are numbers, else null. */
function numericValues(dist: Distribution): [number, number] | null {
  const values = dist.type === 'constant' ? [dist.value] : dist.type === 'categorical' ? dist.values : [];
  if (values.length === 0 || !values.every((v) => typeof v === 'number')) return null;
  return [Math.min(...(values as number[])), Math.max(...(values as number[]))];
}

/** Refuses conditions that depend on themselves, through however many parameters. */
export function refuseCycles(conditions: Conditions): void {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'open') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new SpecIssue(['parameters', cycle[0]!, 'when', cycle[1]!], `a cycle of conditions: ${cycle.join(' → ')}`);
    }
    state.set(name, 'open');
    for (const parent of Object.keys(conditions[name] ?? {})) visit(parent, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(conditions)) visit(name, []);
}

/** `base` with `over` on top, parent by parent. */
export function mergeConditions(base: Conditions, over: Conditions): Conditions {
  const out: Conditions = {};
  for (const name of new Set([...Object.keys(base), ...Object.keys(over)])) out[name] = { ...base[name], ...over[name] };
  return out;
}
