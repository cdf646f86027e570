/**
 * Log expected improvement (for minimisation, standardised targets) and the search for its maximum: a
 * shifted Halton sequence covers the space, then a coordinate-wise local search refines the best few.
 */
import { normCdf } from '../tpe/normal.js';
import type { Rng } from '../../space/rng.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log EI at z = (best − μ)/σ: log σ + log(z Φ(z) + φ(z)). Far below the incumbent (z ≪ 0) EI underflows in
 * double precision while its logarithm still orders the candidates, so it is computed as log φ(z) + log(1 − t·R(t))
 * with t = −z and the asymptotic series of Mills' ratio R.
 */
export function logEi(mean: number, variance: number, best: number): number {
  const sigma = Math.sqrt(variance);
  const z = (best - mean) / sigma;
  const logPhi = -0.5 * z * z - LOG_SQRT_2PI;
  let logH: number;
  if (z > -8) {
    const h = z * normCdf(z) + Math.exp(logPhi);
    logH = h > 0 ? Math.log(h) : logPhi - 2 * Math.log(Math.max(-z, 1));
  } else {
    const t2 = 1 / (z * z);
    // 1 − t R(t) = t⁻² − 3 t⁻⁴ + 15 t⁻⁶ − 105 t⁻⁸ + …
    logH = logPhi + Math.log(t2 * (1 - t2 * (3 - t2 * (15 - 105 * t2))));
  }
  return Math.log(sigma) + logH;
}

/** The first primes: one Halton base per dimension (beyond them, the sequence falls back to random draws). */
const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113];

function radicalInverse(i: number, base: number): number {
  let f = 1;
  let r = 0;
  while (i > 0) {
    f /= base;
    r += f * (i % base);
    i = Math.floor(i / base);
  }
  return r;
}

/** `count` points of the Halton sequence in [0, 1)^d, shifted modulo 1 by a random offset (Cranley–Patterson): quasi-random, yet different per suggestion. */
export function haltonPoints(count: number, d: number, rng: Rng): Float64Array {
  const shift = Array.from({ length: d }, () => rng());
  const out = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    for (let m = 0; m < d; m++) {
      const u = m < PRIMES.length ? radicalInverse(i + 1, PRIMES[m]!) : rng();
      out[i * d + m] = (u + shift[m]!) % 1;
    }
  }
  return out;
}
