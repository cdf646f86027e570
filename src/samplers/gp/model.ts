/**
 * A Gaussian process regression model: Matérn-5/2 kernel with one length scale per dimension (automatic
 * relevance determination), a categorical dimension contributing its Hamming distance (0 if equal, 1 if not)
 * with a length scale of its own, a signal scale and a noise variance. The hyperparameters are fitted by
 * maximising the log marginal likelihood plus weak priors (Optuna's GPSampler's, which keep the fit sane on
 * ten points), by L-BFGS from two starting points. Inputs live in the unit cube (numeric dimensions) or are
 * category indices; targets are standardised by the caller.
 */
import { cholesky, inverseFromCholesky, solveLower, solveUpperT } from './linalg.js';
import { minimize } from './lbfgs.js';

const SQRT5 = Math.sqrt(5);
const LOG_2PI = Math.log(2 * Math.PI);
/** The noise variance's floor (standardised units): keeps K well conditioned for noiseless objectives. */
const MIN_NOISE = 1e-6;

export interface Hyper {
  /** Per dimension, 1 / length scale². */
  isl: Float64Array;
  scale: number;
  noise: number;
}

/** Squared distance between two points, per dimension: (a − b)² for numeric ones, [a ≠ b] for categorical ones. */
export function sqDist(a: Float64Array, ai: number, b: Float64Array, bi: number, d: number, dim: number, categorical: readonly boolean[]): number {
  const u = a[ai * d + dim]!;
  const v = b[bi * d + dim]!;
  return categorical[dim] ? (u === v ? 0 : 1) : (u - v) * (u - v);
}

function matern(r2: number): { k: number; dk: number } {
  // k(r) = (1 + √5 r + 5r²/3) e^(−√5 r); dk is dk/d(r²) = −(5/6)(1 + √5 r) e^(−√5 r), finite at r = 0.
  const r = Math.sqrt(r2);
  const e = Math.exp(-SQRT5 * r);
  return { k: (1 + SQRT5 * r + (5 / 3) * r2) * e, dk: -(5 / 6) * (1 + SQRT5 * r) * e };
}

export class GaussianProcess {
  readonly n: number;
  /** The lower Cholesky factor of K + noise·I. */
  private readonly chol: Float64Array;
  /** (K + noise·I)⁻¹ y. */
  private readonly alpha: Float64Array;

  constructor(
    readonly x: Float64Array,
    readonly y: Float64Array,
    readonly d: number,
    readonly categorical: readonly boolean[],
    readonly hyper: Hyper,
  ) {
    this.n = y.length;
    let k = this.covariance(0);
    // Rounding can leave a matrix of many repeated points short of positive definite: more jitter on the
    // diagonal until it factors (a sampler that throws would stop the sweep).
    for (let jitter = 1e-8; !cholesky(k, this.n); jitter *= 10) {
      if (jitter > 1) throw new Error('kernel matrix is not positive definite');
      k = this.covariance(jitter);
    }
    this.chol = k;
    this.alpha = solveUpperT(k, this.n, solveLower(k, this.n, Float64Array.from(y)));
  }

  private covariance(jitter: number): Float64Array {
    const { n, d, x, categorical, hyper } = this;
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      k[i * n + i] = hyper.scale + hyper.noise + jitter * hyper.scale;
      for (let j = 0; j < i; j++) {
        let r2 = 0;
        for (let m = 0; m < d; m++) r2 += hyper.isl[m]! * sqDist(x, i, x, j, d, m, categorical);
        const v = hyper.scale * matern(r2).k;
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
    }
    return k;
  }

  /** The posterior mean and variance (of the latent function, without the noise) at each of `count` points. */
  predict(points: Float64Array, count: number): { mean: Float64Array; variance: Float64Array } {
    const { n, d, x, categorical, hyper } = this;
    const mean = new Float64Array(count);
    const variance = new Float64Array(count);
    const ks = new Float64Array(n);
    const isl = hyper.isl;
    // The hot loop of the acquisition search: distances written out, not through sqDist.
    const cat = Uint8Array.from(categorical, (c) => (c ? 1 : 0));
    for (let c = 0; c < count; c++) {
      const pc = c * d;
      let mu = 0;
      for (let i = 0; i < n; i++) {
        const xi = i * d;
        let r2 = 0;
        for (let m = 0; m < d; m++) {
          const u = points[pc + m]!;
          const v = x[xi + m]!;
          r2 += isl[m]! * (cat[m] ? (u === v ? 0 : 1) : (u - v) * (u - v));
        }
        const r = Math.sqrt(r2);
        const k = hyper.scale * (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
        ks[i] = k;
        mu += k * this.alpha[i]!;
      }
      solveLower(this.chol, n, ks);
      let vv = 0;
      for (let i = 0; i < n; i++) vv += ks[i]! * ks[i]!;
      mean[c] = mu;
      variance[c] = Math.max(hyper.scale - vv, 1e-12);
    }
    return { mean, variance };
  }

  /** The same model with more points whose targets are the model's own means there (kriging believer): the mean is unchanged, the variance at and near them falls. */
  withBelieved(points: Float64Array, count: number): GaussianProcess {
    if (count === 0) return this;
    const { mean } = this.predict(points, count);
    const x = new Float64Array((this.n + count) * this.d);
    x.set(this.x);
    x.set(points.subarray(0, count * this.d), this.n * this.d);
    const y = new Float64Array(this.n + count);
    y.set(this.y);
    y.set(mean, this.n);
    return new GaussianProcess(x, y, this.d, this.categorical, this.hyper);
  }
}

/** Hyperparameters in log space: [log isl_1 … log isl_d, log scale, log(noise − floor)]. */
function unpack(theta: Float64Array, d: number): Hyper {
  return { isl: Float64Array.from(theta.subarray(0, d), Math.exp), scale: Math.exp(theta[d]!), noise: MIN_NOISE + Math.exp(theta[d + 1]!) };
}

/**
 * The negative log posterior of the hyperparameters (log marginal likelihood plus log priors) and its gradient.
 * Priors, as Optuna's GPSampler sets them: on each inverse squared length scale −(0.1/isl + 0.1·isl) (length
 * scales between about 0.3 and 3 of the unit cube unless the data insist), Gamma(2, 1) on the scale and
 * Gamma(1.1, 30) on the noise (small unless the data are noisy).
 *
 * @param sq per dimension, the n×n squared distances between the points (lower triangle used)
 */
export function negLogPosterior(y: Float64Array, d: number, sq: Float64Array[]): (theta: Float64Array) => { f: number; g: Float64Array } {
  const n = y.length;
  const k = new Float64Array(n * n);
  const kf = new Float64Array(n * n);
  const dk = new Float64Array(n * n);
  return (theta) => {
    const h = unpack(theta, d);
    const grad = new Float64Array(d + 2);
    for (let i = 0; i < n; i++) {
      k[i * n + i] = h.scale + h.noise;
      for (let j = 0; j < i; j++) {
        let r2 = 0;
        for (let m = 0; m < d; m++) r2 += h.isl[m]! * sq[m]![i * n + j]!;
        const mt = matern(r2);
        k[i * n + j] = kf[i * n + j] = h.scale * mt.k;
        dk[i * n + j] = h.scale * mt.dk;
      }
    }
    if (!cholesky(k, n)) return { f: Infinity, g: grad };
    const alpha = solveUpperT(k, n, solveLower(k, n, Float64Array.from(y)));
    let logDet = 0;
    let fit = 0;
    for (let i = 0; i < n; i++) {
      logDet += Math.log(k[i * n + i]!);
      fit += y[i]! * alpha[i]!;
    }
    const logMl = -0.5 * fit - logDet - 0.5 * n * LOG_2PI;
    // d logML / dθ = ½ tr(W dK/dθ) with W = ααᵀ − K⁻¹; an off-diagonal pair counts twice, cancelling the ½.
    const kinv = inverseFromCholesky(k, n);
    let gScale = 0;
    let gNoise = 0;
    for (let i = 0; i < n; i++) {
      const wii = alpha[i]! * alpha[i]! - kinv[i * n + i]!;
      gScale += 0.5 * wii * h.scale;
      gNoise += 0.5 * wii;
      for (let j = 0; j < i; j++) {
        const w = alpha[i]! * alpha[j]! - kinv[i * n + j]!;
        gScale += w * kf[i * n + j]!;
        const c = w * dk[i * n + j]!;
        for (let m = 0; m < d; m++) grad[m] = grad[m]! + c * sq[m]![i * n + j]!;
      }
    }
    let logPrior = 0;
    for (let m = 0; m < d; m++) {
      const isl = h.isl[m]!;
      grad[m] = grad[m]! * isl + (0.1 / isl - 0.1 * isl);
      logPrior += -(0.1 / isl + 0.1 * isl);
    }
    const raw = h.noise - MIN_NOISE;
    logPrior += Math.log(h.scale) - h.scale + 0.1 * Math.log(h.noise) - 30 * h.noise;
    grad[d] = gScale + (1 - h.scale);
    grad[d + 1] = (gNoise + 0.1 / h.noise - 30) * raw;
    // Minimised: the negative of the log posterior and of its gradient.
    for (let i = 0; i < d + 2; i++) grad[i] = -grad[i]!;
    return { f: -(logMl + logPrior), g: grad };
  };
}

/** Points beyond which the hyperparameters are first fitted on an evenly spread subset of this many, then refined on all. */
const SUBSET = 40;
/** L-BFGS iterations of the refinement on all points. */
const REFINE_ITERATIONS = 6;

function objectiveOf(x: Float64Array, y: Float64Array, d: number, categorical: readonly boolean[]): (theta: Float64Array) => { f: number; g: Float64Array } {
  const n = y.length;
  const sq = Array.from({ length: d }, (_, m) => {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = sqDist(x, i, x, j, d, m, categorical);
    return a;
  });
  return negLogPosterior(y, d, sq);
}

/** The best of L-BFGS runs from each start, or null when every one failed. */
function bestRun(objective: (theta: Float64Array) => { f: number; g: Float64Array }, starts: Float64Array[], maxIterations: number): Float64Array | null {
  let best: { x: Float64Array; f: number } | null = null;
  for (const theta0 of starts) {
    const r = minimize(objective, theta0, { maxIterations, gradientTolerance: 1e-3 });
    if (Number.isFinite(r.f) && (!best || r.f < best.f)) best = r;
  }
  return best?.x ?? null;
}

/**
 * Fits the hyperparameters to (x, y) and returns the model: L-BFGS from two starts (smooth: length scales 1;
 * rough: 1/3), the better posterior wins. Each likelihood evaluation costs O(n³), so past SUBSET points the
 * restarts run on an evenly spread subset of SUBSET points and only the winner is refined on all of them
 * (REFINE_ITERATIONS steps): the hyperparameters describe the function's smoothness and noise, which a few
 * dozen points already pin down. Deterministic.
 */
export function fitGaussianProcess(x: Float64Array, y: Float64Array, d: number, categorical: readonly boolean[], maxIterations = 50): GaussianProcess {
  const n = y.length;
  const starts = [0, Math.log(9)].map((logIsl) => Float64Array.from({ length: d + 2 }, (_, i) => (i < d ? logIsl : i === d ? 0 : Math.log(0.01))));
  let theta: Float64Array | null;
  if (n <= SUBSET) theta = bestRun(objectiveOf(x, y, d, categorical), starts, maxIterations);
  else {
    const idx = Array.from({ length: SUBSET }, (_, i) => Math.floor((i * n) / SUBSET));
    const xs = new Float64Array(SUBSET * d);
    idx.forEach((r, i) => xs.set(x.subarray(r * d, r * d + d), i * d));
    const coarse = bestRun(objectiveOf(xs, Float64Array.from(idx, (r) => y[r]!), d, categorical), starts, maxIterations);
    theta = bestRun(objectiveOf(x, y, d, categorical), [coarse ?? starts[0]!], REFINE_ITERATIONS);
  }
  // Every start failed (degenerate data): a fixed, heavily regularised model still ranks candidates.
  const hyper = theta ? unpack(theta, d) : { isl: new Float64Array(d).fill(1), scale: 1, noise: 0.1 };
  return new GaussianProcess(x, y, d, categorical, hyper);
}
