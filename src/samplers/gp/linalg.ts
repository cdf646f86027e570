/**
 * The dense linear algebra the Gaussian process needs, on flat row-major Float64Arrays: a Cholesky
 * factorisation, triangular solves and the inverse from the factor. Written out rather than taken from a
 * matrix library because it is the sampler's hot path (hundreds of factorisations per suggestion while the
 * kernel's hyperparameters are fitted) and flat typed arrays run several times faster than arrays of rows.
 */

/** Σ a[ai + k]·b[bi + k] for k < len, four partial sums at a time (V8 does not vectorise; independent sums keep the multipliers busy). */
function dotRange(a: Float64Array, ai: number, b: Float64Array, bi: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += a[ai + k]! * b[bi + k]!;
    s1 += a[ai + k + 1]! * b[bi + k + 1]!;
    s2 += a[ai + k + 2]! * b[bi + k + 2]!;
    s3 += a[ai + k + 3]! * b[bi + k + 3]!;
  }
  for (; k < len; k++) s0 += a[ai + k]! * b[bi + k]!;
  return s0 + s1 + s2 + s3;
}

/** Factors the symmetric positive-definite n×n matrix `a` in place into its lower Cholesky factor L (upper part zeroed). False when it is not positive definite. */
export function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    const d = a[rj + j]! - dotRange(a, rj, a, rj, j);
    if (!(d > 0) || !Number.isFinite(d)) return false;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j]! - dotRange(a, ri, a, rj, j)) * inv;
    }
    for (let i = 0; i < j; i++) a[i * n + j] = 0;
  }
  return true;
}

/** Solves L x = b in place (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    b[i] = (b[i]! - dotRange(l, ri, b, 0, i)) / l[ri + i]!;
  }
  return b;
}

/** Solves Lᵀ x = b in place (back substitution). */
export function solveUpperT(l: Float64Array, n: number, b: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  return b;
}

/**
 * (L Lᵀ)⁻¹ from the factor L, both halves filled: the columns of L⁻¹ by forward substitution, each kept as a
 * contiguous row (so every inner loop runs along memory), then L⁻ᵀ L⁻¹ as dot products of those rows.
 */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // cols[j * n + i] = (L⁻¹)[i][j], zero for i < j.
  const cols = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const c = j * n;
    cols[c + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      cols[c + i] = -dotRange(l, ri + j, cols, c + j, i - j) / l[ri + i]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let j = 0; j <= i; j++) {
      const cj = j * n;
      const s = dotRange(cols, ci + i, cols, cj + i, n - i);
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}
