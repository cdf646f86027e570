/**
 * Parameter importance by PED-ANOVA (Watanabe et al. 2023, "PED-ANOVA: Efficiently Quantifying
 * Hyperparameter Importance in Arbitrary Subspaces", arXiv:2304.10255), as Optuna's
 * PedAnovaImportanceEvaluator computes it with its defaults: for each parameter, a Parzen estimator (Scott's
 * bandwidth, on a grid of at most 50 points, log-scaled for log distributions) of the top 10% complete trials
 * (at least 2) and one of all complete trials; the importance is the Pearson divergence between the two,
 * Σ p_all · (p_top / p_all − 1)², normalised to sum to 1. A parameter whose values in the good trials look like
 * its values in all trials does not matter; one whose good values gather in one place does.
 */
import { bestFirst, type Goal, type TrialRecord } from '../core/records.js';
import { isAtLeast, isFeasible, metricValue, type Objectives } from '../core/metric.js';
import { numericRange, type Distribution, type ParamValue } from '../space/distributions.js';
import { normCdf } from '../samplers/tpe/normal.js';

export interface Importance {
  /** Parameter → importance in [0, 1], summing to 1 over the searched parameters (constants 0); largest first. */
  importances: Record<string, number>;
  /** Complete trials it rests on, and how many of them count as the top ones. */
  trials: number;
  topTrials: number;
  method: 'ped-anova';
  /**
   * Why the importances are all 0 and say nothing, when they do not: too few complete trials to tell the top
   * ones from the rest, or no parameter explains any of the metric's variation. Null when they stand.
   */
  note: string | null;
}

/** Complete trials PED-ANOVA needs before it says anything (the top two, and at least one more). */
const MIN_IMPORTANCE_TRIALS = 3;

const N_STEPS = 50;
const PRIOR_WEIGHT = 1;
const BASELINE_QUANTILE = 0.1;
const MIN_TOP_TRIALS = 2;

/** Grid index of each value (numeric: the nearest of up to 50 grid points; categorical: the value's index), and the grid's size. */
function gridIndices(dist: Distribution, values: ParamValue[]): { size: number; indices: number[] } | null {
  if (dist.type === 'constant') return null;
  // One possible value (Optuna's `single()` distributions) cannot explain anything.
  if (dist.type === 'categorical' && dist.values.length < 2) return null;
  if (dist.type === 'categorical') {
    const keys = dist.values.map((v) => JSON.stringify(v));
    return { size: dist.values.length, indices: values.map((v) => Math.max(0, keys.indexOf(JSON.stringify(v)))) };
  }
  const range = numericRange(dist);
  if (!range) return null;
  const log = range.log;
  let { low, high } = range;
  if (!(high > low)) return null;
  let steps = N_STEPS;
  if ((dist.type === 'int_uniform' || dist.type === 'q_uniform') && dist.q > 0) steps = Math.min(Math.round((high - low) / dist.q) + 1, N_STEPS);
  if (dist.type === 'q_log_uniform_values') steps = Math.min(Math.ceil(Math.log2(high - low + 1)) + 1, N_STEPS);
  if (steps < 2) return null;
  if (log) {
    low = Math.log(low);
    high = Math.log(high);
  }
  const grid = Array.from({ length: steps }, (_, i) => low + ((high - low) * i) / (steps - 1));
  const half = (grid[1]! - grid[0]!) / 2;
  const indices = values.map((v) => {
    const x = (log ? Math.log(Number(v)) : Number(v)) - half;
    // numpy searchsorted (left): the first grid point ≥ x.
    let i = 0;
    while (i < grid.length && grid[i]! < x) i++;
    return Math.min(i, steps - 1);
  });
  return { size: steps, indices };
}

function counts(size: number, indices: number[]): number[] {
  const out = new Array<number>(size).fill(0);
  for (const i of indices) out[i]!++;
  return out;
}

/**
 * Optuna's _ScottParzenEstimator: one kernel per occupied grid point, weighted by its count, plus a prior
 * kernel, as probabilities over the grid points. Numeric grids use discretised truncated normals with Scott's
 * bandwidth; categories use Optuna's categorical kernels.
 */
function parzenPmf(size: number, c: number[], categorical: boolean): number[] {
  const occupied = c.map((n, i) => [i, n] as const).filter(([, n]) => n > 0);
  const total = occupied.reduce((s, [, n]) => s + n, 0);
  const weights = [...occupied.map(([, n]) => n), PRIOR_WEIGHT];
  const wsum = weights.reduce((a, b) => a + b, 0);
  const pmf = new Array<number>(size).fill(0);
  if (categorical) {
    const k = occupied.length + 1;
    const kernels = [...occupied.map(([i]) => i), -1];
    kernels.forEach((center, j) => {
      const row = new Array<number>(size).fill(PRIOR_WEIGHT / k);
      if (center >= 0) row[center]! += 1;
      const rs = row.reduce((a, b) => a + b, 0);
      for (let i = 0; i < size; i++) pmf[i]! += (weights[j]! / wsum) * (row[i]! / rs);
    });
    return pmf;
  }
  const mus = occupied.map(([i]) => i);
  const mean = occupied.reduce((s, [i, n]) => s + i * n, 0) / total;
  let sigma = Math.sqrt(occupied.reduce((s, [i, n]) => s + (i - mean) ** 2 * n, 0) / Math.max(1, total - 1));
  // Scott's rule with the interquartile range, as Optuna's estimator (counts cumulated over occupied points).
  const cum: number[] = [];
  occupied.reduce((s, [, n]) => (cum.push(s + n), s + n), 0);
  const searchLeft = (v: number): number => cum.findIndex((x) => x >= v);
  const searchRight = (v: number): number => {
    const i = cum.findIndex((x) => x > v);
    return i === -1 ? cum.length : i;
  };
  const q25 = searchLeft(Math.floor(total / 4));
  const q75 = searchRight(Math.floor((total * 3) / 4));
  const iqr = mus[Math.min(mus.length - 1, q75)]! - mus[Math.max(0, q25)]!;
  sigma = 1.059 * Math.min(iqr / 1.34, sigma) * total ** -0.2;
  const sigmaMin = 0.5 / 1.64;
  const kernels = [...mus.map((mu) => [mu, Math.max(sigma, sigmaMin)] as const), [0.5 * (size - 1), size] as const];
  kernels.forEach(([mu, s], j) => {
    const mass = (i: number): number => normCdf((i + 0.5 - mu) / s) - normCdf((i - 0.5 - mu) / s);
    const inside = normCdf((size - 0.5 - mu) / s) - normCdf((-0.5 - mu) / s);
    for (let i = 0; i < size; i++) pmf[i]! += (weights[j]! / wsum) * (mass(i) / inside);
  });
  return pmf;
}

export function parameterImportance(trials: readonly TrialRecord[], parameters: Record<string, Distribution>, goal: Goal): Importance {
  // A trial counts for the parameters it holds: a conditional one is absent where it was inactive.
  const complete = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value) && Object.keys(parameters).some((p) => p in t.params));
  const searched = Object.entries(parameters).filter(([, d]) => gridIndices(d, []) !== null);
  const zero = Object.fromEntries(Object.keys(parameters).filter((p) => !searched.some(([n]) => n === p)).map((p) => [p, 0]));
  const none = (note: string | null): Importance => ({
    importances: { ...Object.fromEntries(searched.map(([p]) => [p, 0])), ...zero },
    trials: complete.length,
    topTrials: 0,
    method: 'ped-anova',
    note,
  });
  if (searched.length === 0) return none('no parameter varies (every one has a single value)');
  if (complete.length < MIN_IMPORTANCE_TRIALS) return none(`needs at least ${MIN_IMPORTANCE_TRIALS} complete trials (${complete.length} so far)`);
  // Optuna's quantile filter: the top 10% ("inverted cdf"), at least two.
  const ranked = bestFirst(goal, complete);
  const cut = Math.max(MIN_TOP_TRIALS, Math.ceil(BASELINE_QUANTILE * ranked.length));
  const cutoff = ranked[cut - 1]!.value!;
  const top = ranked.filter((t) => isAtLeast(goal, t.value!, cutoff));
  const raw: Record<string, number> = {};
  for (const [name, dist] of searched) {
    // Each parameter judged on the trials that hold it: the top ones among them against all of them.
    const holding = complete.filter((t) => name in t.params);
    const holdingTop = top.filter((t) => name in t.params);
    if (holding.length < MIN_IMPORTANCE_TRIALS || holdingTop.length === 0) {
      raw[name] = 0;
      continue;
    }
    const all = gridIndices(dist, holding.map((t) => t.params[name]!))!;
    const best = gridIndices(dist, holdingTop.map((t) => t.params[name]!))!;
    const categorical = dist.type === 'categorical';
    const pAll = parzenPmf(all.size, counts(all.size, all.indices), categorical).map((p) => p + 1e-12);
    const pTop = parzenPmf(best.size, counts(best.size, best.indices), categorical).map((p) => p + 1e-12);
    raw[name] = pAll.reduce((s, p, i) => s + p * (pTop[i]! / p - 1) ** 2, 0);
  }
  const sum = Object.values(raw).reduce((a, b) => a + b, 0);
  // Optuna shares all-zero importances out equally; that reads as a finding where there is none.
  if (!(sum > 1e-9)) return { ...none('no parameter explains any variation of the metric (the top trials are spread like all of them)'), topTrials: top.length };
  const normalised = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v / sum]));
  const importances = Object.fromEntries(Object.entries({ ...normalised, ...zero }).sort((a, b) => b[1] - a[1]));
  return { importances, trials: complete.length, topTrials: top.length, method: 'ped-anova', note: null };
}

/**
 * Importance for each objective of the sweep (several objectives): each judged on the complete trials that
 * meet the constraints, by that objective's value and goal alone.
 */
export function importanceByObjective(trials: readonly TrialRecord[], parameters: Record<string, Distribution>, objectives: Objectives): Record<string, Importance> {
  const feasible = trials.filter((t) => t.state === 'complete' && isFeasible(objectives, t.metrics));
  return Object.fromEntries(
    objectives.metrics.map((m) => [m.name, parameterImportance(feasible.map((t) => ({ ...t, value: metricValue(m, t.metrics) })), parameters, m.goal)]),
  );
}
