/**
 * The sweep's metric and its goal, and every judgement made from them: which value is better, which trials
 * rank first, when metric.target is reached, which value a set of metrics holds. Every layer (samplers,
 * pruners, the orchestrator, storage's claim view, reports) decides "better" here and nowhere else, so that
 * a change of what a sweep optimizes (several objectives, constraints) starts in this one module.
 */

/** Which way the metric improves. */
export type Goal = 'maximize' | 'minimize';

/** The metric a sweep optimizes: a key of the trials' reported metrics, its goal, and W&B's optional target. */
export interface MetricSpec {
  name: string;
  goal: Goal;
  /** The sweep finishes once a trial's value reaches it (at or above when maximizing, at or below when minimizing). */
  target?: number;
}

/** Whether value `a` is better than `b` under the goal (a strict improvement). */
export function isBetter(goal: Goal, a: number, b: number): boolean {
  return goal === 'maximize' ? a > b : a < b;
}

/** Whether `a` is at least as good as `b` (better or equal). */
export function isAtLeast(goal: Goal, a: number, b: number): boolean {
  return goal === 'maximize' ? a >= b : a <= b;
}

/** The sort order that puts the best value first: negative when `a` ranks before `b`. */
export function compareValues(goal: Goal, a: number, b: number): number {
  return goal === 'maximize' ? b - a : a - b;
}

/** +1 when the goal maximizes, −1 when it minimizes: multiplies a value into "higher is better". */
export function goalSign(goal: Goal): 1 | -1 {
  return goal === 'maximize' ? 1 : -1;
}

/** The best of the values, or null when there are none (NaN is never best). */
export function bestValue(goal: Goal, values: Iterable<number>): number | null {
  let best: number | null = null;
  for (const v of values) if (!Number.isNaN(v) && (best === null || isBetter(goal, v, best))) best = v;
  return best;
}

/** The best of a known range of values (the lowest and highest complete values). */
export function bestOfRange(goal: Goal, range: { minValue: number | null; maxValue: number | null }): number | null {
  return goal === 'maximize' ? range.maxValue : range.minValue;
}

/** W&B's metric.target: whether `best` reached it. False when there is no target or no value yet. */
export function targetReached(metric: MetricSpec, best: number | null): boolean {
  if (metric.target === undefined || best === null) return false;
  return isAtLeast(metric.goal, best, metric.target);
}

/** The metric's value in a record of metrics when it is a finite number, else null. */
export function metricValue(metric: Pick<MetricSpec, 'name'>, metrics: Readonly<Record<string, number>> | null | undefined): number | null {
  const v = metrics?.[metric.name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Items with a value, best first by the goal; ties keep the order of `tieBreak` (ascending). */
export function rankBy<T>(goal: Goal, items: readonly T[], value: (item: T) => number | null, tieBreak: (item: T) => number): T[] {
  return items
    .filter((item) => value(item) !== null)
    .sort((a, b) => compareValues(goal, value(a)!, value(b)!) || tieBreak(a) - tieBreak(b));
}

/**
 * A bound a trial's metric must respect for the trial to count (`constraints:` in the sweep file): at most
 * `max`, at least `min`, or both.
 */
export interface ConstraintSpec {
  name: string;
  max?: number;
  min?: number;
}

/**
 * What a sweep optimizes, whole: one metric or several (`metrics:`, a Pareto front), and the constraints a
 * trial must meet to be ranked at all. Built from a spec by `objectivesOf`; every "which trials are best"
 * question goes through it.
 */
export interface Objectives {
  /** One or more; with one, the sweep is single-objective and ranks by its value. */
  metrics: readonly MetricSpec[];
  constraints: readonly ConstraintSpec[];
}

/** The objectives of a spec (a sweep file's, or a stored one, which may predate `metrics:` and `constraints:`). */
export function objectivesOf(spec: { metric: MetricSpec; metrics?: readonly MetricSpec[] | null; constraints?: readonly ConstraintSpec[] | null }): Objectives {
  return { metrics: spec.metrics && spec.metrics.length > 1 ? spec.metrics : [spec.metric], constraints: spec.constraints ?? [] };
}

/** Every metric a trial's result must hold: each objective's and each constrained one's, once, in that order. */
export function requiredMetrics(objectives: Objectives): string[] {
  return [...new Set([...objectives.metrics.map((m) => m.name), ...objectives.constraints.map((c) => c.name)])];
}

export function isMultiObjective(objectives: Objectives): boolean {
  return objectives.metrics.length > 1;
}

/**
 * How far a record of metrics is from meeting the constraints: the sum of each bound's excess (0 when all
 * hold, as Optuna sums the positive constraint values), or Infinity when a constrained metric is missing.
 */
export function violation(constraints: readonly ConstraintSpec[], metrics: Readonly<Record<string, number>> | null | undefined): number {
  let total = 0;
  for (const c of constraints) {
    const v = metricValue(c, metrics);
    if (v === null) return Infinity;
    if (c.max !== undefined && v > c.max) total += v - c.max;
    if (c.min !== undefined && v < c.min) total += c.min - v;
  }
  return total;
}

export function isFeasible(objectives: Objectives, metrics: Readonly<Record<string, number>> | null | undefined): boolean {
  return violation(objectives.constraints, metrics) === 0;
}

/** The value of each objective in a record of metrics, or null when one is missing or not finite. */
export function objectiveValues(objectives: Objectives, metrics: Readonly<Record<string, number>> | null | undefined): number[] | null {
  const out: number[] = [];
  for (const m of objectives.metrics) {
    const v = metricValue(m, metrics);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/** Values as losses (every coordinate minimized): what dominance and hypervolume work on. */
export function asLoss(objectives: Objectives, values: readonly number[]): number[] {
  return values.map((v, i) => -goalSign(objectives.metrics[i]!.goal) * v);
}

/** How a constraint reads: "params ≤ 100000", "val_accuracy ≥ 0.9", "0.1 ≤ x ≤ 2". */
export function describeConstraint(c: ConstraintSpec): string {
  if (c.min !== undefined && c.max !== undefined) return `${c.min} ≤ ${c.name} ≤ ${c.max}`;
  return c.max !== undefined ? `${c.name} ≤ ${c.max}` : `${c.name} ≥ ${c.min}`;
}
