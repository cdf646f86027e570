/**
 * The Parzen estimator of the TPE: a weighted mixture of one kernel per observation plus a prior kernel,
 * over one or more dimensions (a product of per-dimension kernels sharing the mixture weights). Numeric
 * kernels are truncated normals (discrete ones give each grid point the mass of its bin), categorical ones
 * are smoothed one-hot distributions. Bandwidths follow Optuna's TPESampler: neighbour distances with the
 * prior at the centre, clipped by the "magic clip"; the multivariate variant uses Scott's-rule-like widths.
 */
import type { Rng } from '../../space/rng.js';
import type { Dim } from '../dims.js';
import { logNormalMass, truncNormStd } from './normal.js';

export interface ParzenOptions {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
  multivariate: boolean;
  /** Multivariate kernel width as a share of the range, before the n^(-1/(d+4)) shrink (Optuna: 0.2). */
  bandwidthFactor: number;
  /** The magic clip's floor is range / min(100, (n + 2)^exponent) (Optuna: exponent 1). */
  magicClipExponent: number;
  /** On a grid (integers, `q_` steps), no kernel narrower than this many steps (Optuna: 0). */
  minStepBandwidth: number;
}

interface NumericKernels {
  kind: 'numeric';
  dim: Extract<Dim, { kind: 'numeric' }>;
  mus: Float64Array;
  sigmas: Float64Array;
  /** Truncation bounds (grid bounds widened by half a step for discrete axes). */
  lo: number;
  hi: number;
  /** log of each kernel's mass inside [lo, hi]. */
  logZ: Float64Array;
  invSigma: Float64Array;
  /** −log σ − log Z − ½ log 2π: the continuous log density is this minus ½ z². */
  logNorm: Float64Array;
}

interface CategoricalKernels {
  kind: 'categorical';
  dim: Extract<Dim, { kind: 'categorical' }>;
  /** logProbs[k * nChoices + c] */
  logProbs: Float64Array;
  probs: Float64Array;
}

type Kernels = NumericKernels | CategoricalKernels;

/** Optuna's default weights: 1 for the newest 25 observations, a linear ramp up to 1 for the older ones. */
export function defaultWeights(n: number): number[] {
  if (n < 25) return Array(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (n - 26)));
  return [...ramp, ...Array(25).fill(1)];
}

export class ParzenEstimator {
  private readonly logWeights: Float64Array;
  private readonly cumWeights: Float64Array;
  private readonly kernels: Kernels[];

  /**
   * @param dims the dimensions modelled jointly (one for independent TPE)
   * @param observations per observation, its internal value for each dim (chronological order)
   * @param weights each observation's weight (Optuna's default ramp when absent: old ones count less)
   */
  constructor(dims: Dim[], observations: number[][], options: ParzenOptions, weights?: readonly number[]) {
    const n = observations.length;
    const w = n === 0 ? [1] : [...(weights ?? defaultWeights(n)), options.priorWeight];
    const total = w.reduce((a, b) => a + b, 0);
    this.logWeights = Float64Array.from(w, (x) => Math.log(x / total));
    this.cumWeights = new Float64Array(w.length);
    let acc = 0;
    w.forEach((x, i) => (this.cumWeights[i] = acc += x / total));
    this.kernels = dims.map((dim, d) =>
      dim.kind === 'numeric'
        ? numericKernels(dim, observations.map((o) => o[d]!), options, dims.length)
        : categoricalKernels(dim, observations.map((o) => o[d]!), options),
    );
  }

  get size(): number {
    return this.logWeights.length;
  }

  /** `count` joint samples in the internal space: samples[i][d]. */
  sample(rng: Rng, count: number): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < count; i++) {
      const u = rng();
      let k = this.cumWeights.findIndex((c) => u < c);
      if (k < 0) k = this.cumWeights.length - 1;
      out.push(this.kernels.map((kern) => sampleKernel(kern, k, rng)));
    }
    return out;
  }

  /** log density (mass, for discrete axes) of each joint sample under the mixture. */
  logPdf(samples: number[][]): Float64Array {
    const K = this.size;
    // Per dimension, each distinct value's kernel terms are computed once: candidates drawn from a grid or a
    // few categories repeat, and the exact bin masses are the costly part.
    const perDim = this.kernels.map((kern, d) => {
      const cache = new Map<number, Float64Array>();
      return samples.map((sample) => {
        const x = sample[d]!;
        let terms = cache.get(x);
        if (!terms) {
          terms = new Float64Array(K);
          addKernelLogPdf(kern, x, terms);
          cache.set(x, terms);
        }
        return terms;
      });
    });
    const out = new Float64Array(samples.length);
    const terms = new Float64Array(K);
    for (let i = 0; i < samples.length; i++) {
      terms.set(this.logWeights);
      for (const dim of perDim) {
        const t = dim[i]!;
        for (let k = 0; k < K; k++) terms[k] = terms[k]! + t[k]!;
      }
      let max = -Infinity;
      for (let k = 0; k < K; k++) if (terms[k]! > max) max = terms[k]!;
      if (max === -Infinity) {
        out[i] = -Infinity;
        continue;
      }
      let sum = 0;
      // Terms 50 nats below the largest change the sum by less than 1e-21: skip their exp.
      for (let k = 0; k < K; k++) if (terms[k]! - max > -50) sum += Math.exp(terms[k]! - max);
      out[i] = max + Math.log(sum);
    }
    return out;
  }
}

function numericKernels(dim: Extract<Dim, { kind: 'numeric' }>, obs: number[], options: ParzenOptions, nDims: number): NumericKernels {
  const half = dim.step === null ? 0 : dim.step / 2;
  const lo = dim.low - half;
  const hi = dim.high + half;
  const range = hi - lo;
  const n = obs.length;
  const mid = 0.5 * (lo + hi);
  let sigmas: number[];
  if (options.multivariate) {
    const sigma = options.bandwidthFactor * Math.max(n, 1) ** (-1 / (nDims + 4)) * range;
    sigmas = obs.map(() => sigma);
  } else {
    // Each kernel as wide as the larger gap to its neighbours, with the prior's centre among them and the
    // bounds as the outermost neighbours.
    const withPrior = [...obs, mid];
    const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a]! - withPrior[b]! || a - b);
    const sorted = [lo, ...order.map((i) => withPrior[i]!), hi];
    const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!));
    if (!options.considerEndpoints && sorted.length >= 4) {
      sortedSigmas[0] = sorted[2]! - sorted[1]!;
      sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
    }
    sigmas = new Array<number>(withPrior.length);
    order.forEach((i, j) => (sigmas[i] = sortedSigmas[j]!));
    sigmas = sigmas.slice(0, n);
  }
  const minSigma = options.considerMagicClip ? range / Math.min(100, (1 + (n + 1)) ** options.magicClipExponent) : 1e-12;
  // A kernel narrower than a grid step puts all its mass on one grid point: the model could then only repeat
  // configurations it has seen, never try their neighbours (the multivariate width on a 10-point axis is a
  // quarter of a step). The floor keeps a step's neighbours within reach.
  const stepFloor = dim.step === null ? 0 : dim.step * options.minStepBandwidth;
  sigmas = sigmas.map((s) => Math.min(range, Math.max(minSigma, stepFloor, s)));
  const mus = Float64Array.from([...obs, mid]);
  const sig = Float64Array.from([...sigmas, range]);
  const logZ = new Float64Array(mus.length);
  const invSigma = new Float64Array(mus.length);
  const logNorm = new Float64Array(mus.length);
  for (let k = 0; k < mus.length; k++) {
    logZ[k] = logNormalMass((lo - mus[k]!) / sig[k]!, (hi - mus[k]!) / sig[k]!);
    invSigma[k] = 1 / sig[k]!;
    logNorm[k] = -Math.log(sig[k]!) - logZ[k]! - 0.5 * Math.log(2 * Math.PI);
  }
  return { kind: 'numeric', dim, mus, sigmas: sig, lo, hi, logZ, invSigma, logNorm };
}

function categoricalKernels(dim: Extract<Dim, { kind: 'categorical' }>, obs: number[], options: ParzenOptions): CategoricalKernels {
  const C = dim.choices.length;
  const K = obs.length + 1;
  const probs = new Float64Array(K * C);
  for (let k = 0; k < K; k++) {
    // Every kernel is smoothed towards the prior; the last kernel is the prior itself.
    for (let c = 0; c < C; c++) probs[k * C + c] = (obs.length === 0 ? 1 : options.priorWeight / K) * dim.prior[c]! * (obs.length === 0 ? 1 : C);
    if (k < obs.length) probs[k * C + obs[k]!]! += 1;
    let sum = 0;
    for (let c = 0; c < C; c++) sum += probs[k * C + c]!;
    for (let c = 0; c < C; c++) probs[k * C + c] = sum > 0 ? probs[k * C + c]! / sum : 1 / C;
  }
  return { kind: 'categorical', dim, probs, logProbs: Float64Array.from(probs, Math.log) };
}

function sampleKernel(kern: Kernels, k: number, rng: Rng): number {
  if (kern.kind === 'categorical') {
    const C = kern.dim.choices.length;
    const u = rng();
    let acc = 0;
    for (let c = 0; c < C; c++) {
      acc += kern.probs[k * C + c]!;
      if (u < acc) return c;
    }
    return C - 1;
  }
  const mu = kern.mus[k]!;
  const sigma = kern.sigmas[k]!;
  const x = mu + sigma * truncNormStd((kern.lo - mu) / sigma, (kern.hi - mu) / sigma, rng());
  if (kern.dim.step === null) return Math.min(kern.dim.high, Math.max(kern.dim.low, x));
  const step = kern.dim.step;
  return Math.min(kern.dim.high, Math.max(kern.dim.low, kern.dim.low + Math.round((x - kern.dim.low) / step) * step));
}

function addKernelLogPdf(kern: Kernels, x: number, terms: Float64Array): void {
  const K = terms.length;
  if (kern.kind === 'categorical') {
    const C = kern.dim.choices.length;
    for (let k = 0; k < K; k++) terms[k] = terms[k]! + kern.logProbs[k * C + x]!;
    return;
  }
  const { mus, invSigma, logNorm } = kern;
  if (kern.dim.step === null) {
    for (let k = 0; k < K; k++) {
      const z = (x - mus[k]!) * invSigma[k]!;
      terms[k] = terms[k]! + logNorm[k]! - 0.5 * z * z;
    }
    return;
  }
  const step = kern.dim.step;
  const half = step / 2;
  const logStep = Math.log(step);
  for (let k = 0; k < K; k++) {
    const w = step * invSigma[k]!;
    const z = (x - mus[k]!) * invSigma[k]!;
    // A bin much narrower than the kernel: its mass is the density at its centre times its width (relative
    // error below (w·z)²/24 < 1e-4 here); otherwise the exact difference of CDFs.
    terms[k] =
      w < 0.05 && Math.abs(z) < 8
        ? terms[k]! + logNorm[k]! - 0.5 * z * z + logStep
        : terms[k]! + logNormalMass((x - half - mus[k]!) * invSigma[k]!, (x + half - mus[k]!) * invSigma[k]!) - kern.logZ[k]!;
  }
}
