/**
 * Gaussian-process Bayesian optimisation (`bayes: {sampler: gp}`): random for the first n_startup_trials, then
 * a GP (Matérn-5/2, one length scale per dimension, fitted by maximum a posteriori marginal likelihood; see
 * model.ts) over the complete trials, and the candidate of highest log expected improvement over the best
 * posterior mean at an observed point (robust to noisy objectives: one lucky evaluation does not set the bar).
 *
 * The space is the unit cube: each numeric parameter scaled over its range (on the log scale where it is
 * log-distributed), stepped ones snapped to their grid, a list of numbers as an ordered grid of its values
 * (by rank), other categorical ones as category indices compared by the Hamming kernel. Trials in flight, and pruned ones, enter as "believed" points (their value the model's own
 * mean there), which leaves the mean as it is and removes their uncertainty: parallel workers are sent
 * elsewhere. Stateless, as every sampler: each answer is a function of the seed, the index and the history.
 *
 * Cost: the fit is O(n³) per likelihood evaluation (a Cholesky factorisation and an inverse) and the candidate
 * search O(n²) per candidate, so a suggestion grows cubically with the trials; `npm run bench:cost` states it.
 */
import type { Distribution, Params } from '../../space/distributions.js';
import { createRng, deriveSeed, shuffleInPlace, type Rng } from '../../space/rng.js';
import { goalSign, type Goal } from '../../core/metric.js';
import type { TrialRecord } from '../../core/records.js';
import type { Sampler } from '../sampler.js';
import { RandomSampler } from '../random.js';
import { configKey, dimsOf, drawNotRunning, inFileOrder, runningConfigs, type Dim } from '../dims.js';
import { fitGaussianProcess, type GaussianProcess } from './model.js';
import { haltonPoints, logEi } from './acquisition.js';

export interface GpSettings {
  n_startup_trials: number;
  /** Quasi-random candidates scored per suggestion before the local search. */
  n_candidates: number;
}

export const GP_DEFAULTS: GpSettings = { n_startup_trials: 10, n_candidates: 512 };

/** How a dimension maps to the unit cube: grid points (0, 1/steps, …, 1) for stepped axes, category count for categorical ones. */
interface Axis {
  dim: Dim;
  categorical: boolean;
  /** Grid steps across [0, 1] for a stepped axis, else 0. */
  steps: number;
  categories: number;
  /**
   * For a list of distinct numbers (`values: [16, 32, 64]`): each value's index, in order of size, and back.
   * Such a list is an ordered axis, not a set of unrelated categories: 32 lies between 16 and 64.
   */
  ordinal: { rankOf: number[]; indexAt: number[] } | null;
}

function axisOf(dim: Dim): Axis {
  if (dim.kind === 'numeric') {
    const steps = dim.step !== null && dim.high > dim.low ? Math.round((dim.high - dim.low) / dim.step) : 0;
    return { dim, categorical: false, steps, categories: 0, ordinal: null };
  }
  const numbers = dim.choices.every((v) => typeof v === 'number' && Number.isFinite(v)) && new Set(dim.choices).size === dim.choices.length && dim.choices.length > 1;
  if (!numbers) return { dim, categorical: true, steps: 0, categories: dim.choices.length, ordinal: null };
  const indexAt = dim.choices.map((_, i) => i).sort((a, b) => (dim.choices[a] as number) - (dim.choices[b] as number));
  const rankOf: number[] = [];
  indexAt.forEach((index, rank) => (rankOf[index] = rank));
  return { dim, categorical: false, steps: dim.choices.length - 1, categories: dim.choices.length, ordinal: { rankOf, indexAt } };
}

/** Local-search starts: the best candidates of the quasi-random sweep (and the best observed point). */
const LOCAL_STARTS = 4;
const LOCAL_SWEEPS = 6;
/** The most complete trials the model is fitted on (see modelled()). */
export const MAX_POINTS = 300;

export class GpSampler implements Sampler {
  private readonly axes: Axis[];
  private readonly random: RandomSampler;

  constructor(
    private readonly parameters: Record<string, Distribution>,
    private readonly goal: Goal,
    private readonly seed: number,
    private readonly settings: GpSettings = GP_DEFAULTS,
  ) {
    this.axes = dimsOf(parameters).map(axisOf);
    this.random = new RandomSampler(parameters, seed);
  }

  size(): null {
    return null;
  }

  sample(index: number, history: readonly TrialRecord[]): Params {
    const finished = history.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
    if (finished.length < this.settings.n_startup_trials || this.axes.length === 0 || finished.length === 0) return this.random.sample(index);
    const complete = this.modelled(finished);
    const d = this.axes.length;
    const x = new Float64Array(complete.length * d);
    complete.forEach((t, i) => this.encode(t.params, x, i));
    // Minimised, standardised.
    const sign = -goalSign(this.goal);
    const raw = complete.map((t) => sign * t.value!);
    const mu = raw.reduce((a, b) => a + b, 0) / raw.length;
    const sd = Math.sqrt(raw.reduce((a, b) => a + (b - mu) ** 2, 0) / raw.length) || 1;
    let y = Float64Array.from(raw, (v) => (v - mu) / sd);
    // Values too large to standardise in double precision (an objective returning 1e300): model their ranks.
    if (!y.every(Number.isFinite)) {
      const order = raw.map((_, i) => i).sort((a, b) => raw[a]! - raw[b]!);
      y = new Float64Array(raw.length);
      order.forEach((i, r) => (y[i] = (r - (raw.length - 1) / 2) / Math.max(1, raw.length / 4)));
    }
    const categorical = this.axes.map((a) => a.categorical);
    const fitted = fitGaussianProcess(x, y, d, categorical);

    // The bar: the best posterior mean at an observed point.
    const atObserved = fitted.predict(x, complete.length).mean;
    let bestIdx = 0;
    for (let i = 1; i < atObserved.length; i++) if (atObserved[i]! < atObserved[bestIdx]!) bestIdx = i;
    const bar = atObserved[bestIdx]!;

    const elsewhere = history.filter((t) => t.state === 'running' || t.state === 'queued' || t.state === 'pruned');
    const believed = new Float64Array(elsewhere.length * d);
    elsewhere.forEach((t, i) => this.encode(t.params, believed, i));
    const model = fitted.withBelieved(believed, elsewhere.length);

    const rng = createRng(deriveSeed(this.seed, 'gp', index));
    // Best first; a configuration that is running is never proposed again (a discrete space can lead there).
    const running = runningConfigs(history);
    for (const point of this.maximise(model, bar, rng, x.subarray(bestIdx * d, bestIdx * d + d))) {
      const params = this.decode(point);
      if (!running.has(configKey(params))) return params;
    }
    return drawNotRunning(this.random, index, running) ?? this.random.sample(index); // more workers than configurations: a repeat cannot be avoided
  }

  /**
   * The complete trials the model is fitted on: all of them up to MAX_POINTS; beyond, the best half and the
   * most recent half of that many. A suggestion costs O(n³), and the orchestrator waits for it: the cap keeps
   * one under half a second however long the sweep runs, while the model still sees the region that matters
   * and where the search is now.
   */
  private modelled(finished: TrialRecord[]): TrialRecord[] {
    if (finished.length <= MAX_POINTS) return finished;
    const sign = -goalSign(this.goal);
    const best = [...finished].sort((a, b) => sign * a.value! - sign * b.value!).slice(0, MAX_POINTS / 2);
    const chosen = new Set(best);
    for (let i = finished.length - 1; i >= 0 && chosen.size < MAX_POINTS; i--) chosen.add(finished[i]!);
    return finished.filter((t) => chosen.has(t));
  }

  /** Candidates by decreasing log EI: the local searches' ends, then the quasi-random points. */
  private maximise(model: GaussianProcess, bar: number, rng: Rng, incumbent: Float64Array): Float64Array[] {
    const d = this.axes.length;
    const count = this.settings.n_candidates;
    const pts = haltonPoints(count, d, rng);
    for (let i = 0; i < count; i++) this.snap(pts, i);
    const scores = this.score(model, pts, count, bar);
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
    const starts = [Float64Array.from(incumbent), ...order.slice(0, LOCAL_STARTS).map((i) => pts.slice(i * d, i * d + d))];
    const ends = starts.map((start) => this.localSearch(model, bar, start, rng)).sort((a, b) => b.score - a.score);
    return [...ends.map((e) => e.point), ...order.map((i) => pts.slice(i * d, i * d + d))];
  }

  /** Coordinate-wise hill climbing: continuous axes by ±δ (δ halving per sweep), stepped ones by ±1 step, categorical ones through every category. */
  private localSearch(model: GaussianProcess, bar: number, start: Float64Array, rng: Rng): { point: Float64Array; score: number } {
    const d = this.axes.length;
    const point = Float64Array.from(start);
    let score = this.score(model, point, 1, bar)[0]!;
    let delta = 0.1;
    for (let sweep = 0; sweep < LOCAL_SWEEPS; sweep++, delta /= 2) {
      let moved = false;
      const order = Array.from({ length: d }, (_, m) => m);
      shuffleInPlace(order, rng);
      for (const m of order) {
        const axis = this.axes[m]!;
        const options: number[] = axis.categorical
          ? Array.from({ length: axis.categories }, (_, c) => c).filter((c) => c !== point[m])
          : axis.steps > 0
            ? [point[m]! - 1 / axis.steps, point[m]! + 1 / axis.steps]
            : [point[m]! - delta, point[m]! + delta];
        const valid = options.filter((v) => axis.categorical || (v >= -1e-12 && v <= 1 + 1e-12)).map((v) => (axis.categorical ? v : Math.min(1, Math.max(0, v))));
        if (valid.length === 0) continue;
        const trial = new Float64Array(valid.length * d);
        valid.forEach((v, i) => {
          trial.set(point, i * d);
          trial[i * d + m] = v;
        });
        const s = this.score(model, trial, valid.length, bar);
        let bi = -1;
        for (let i = 0; i < valid.length; i++) if (s[i]! > score && (bi < 0 || s[i]! > s[bi]!)) bi = i;
        if (bi >= 0) {
          point[m] = valid[bi]!;
          score = s[bi]!;
          moved = true;
        }
      }
      // Only continuous axes gain from a finer δ; a sweep that moved nothing on a discrete space is the end.
      if (!moved && this.axes.every((a) => a.categorical || a.steps > 0)) break;
    }
    return { point, score };
  }

  private score(model: GaussianProcess, pts: Float64Array, count: number, bar: number): Float64Array {
    const { mean, variance } = model.predict(pts, count);
    return Float64Array.from(mean, (m, i) => logEi(m, variance[i]!, bar));
  }

  /** A Halton point onto the axes: categories from [0, 1) by ⌊u·C⌋, stepped axes to their nearest grid point. */
  private snap(pts: Float64Array, i: number): void {
    const d = this.axes.length;
    this.axes.forEach((a, m) => {
      const u = pts[i * d + m]!;
      if (a.categorical) pts[i * d + m] = Math.min(a.categories - 1, Math.floor(u * a.categories));
      else if (a.steps > 0) pts[i * d + m] = Math.round(u * a.steps) / a.steps;
    });
  }

  /** A trial's params into row `row` of `out`; a parameter it lacks (inactive under its conditions) sits mid-range or at the first category. */
  private encode(params: Params, out: Float64Array, row: number): void {
    const d = this.axes.length;
    this.axes.forEach((a, m) => {
      const v = a.dim.name in params ? a.dim.toInternal(params[a.dim.name]!) : null;
      if (a.ordinal) out[row * d + m] = v === null ? 0.5 : a.ordinal.rankOf[v]! / a.steps;
      else if (a.dim.kind === 'categorical') out[row * d + m] = v ?? 0;
      else out[row * d + m] = v === null ? 0.5 : a.dim.high > a.dim.low ? Math.min(1, Math.max(0, (v - a.dim.low) / (a.dim.high - a.dim.low))) : 0.5;
    });
  }

  private decode(point: Float64Array): Params {
    const out: Params = {};
    this.axes.forEach((a, m) => {
      const dim = a.dim;
      out[dim.name] = a.ordinal
        ? dim.toExternal(a.ordinal.indexAt[Math.round(point[m]! * a.steps)]!)
        : dim.kind === 'categorical'
          ? dim.toExternal(point[m]!)
          : dim.toExternal(dim.low + point[m]! * (dim.high - dim.low));
    });
    return inFileOrder(this.parameters, out);
  }
}
