/**
 * Standard normal helpers for truncated-normal kernels, accurate in the tails (the TPE compares densities far
 * from a kernel's centre, where 1 − Φ(x) loses every digit if computed naively).
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** erfc(x) with relative error < 1.2e-7 everywhere (Chebyshev fit, Numerical Recipes' erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Φ(x), the standard normal CDF. */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** log(Φ(b) − Φ(a)) for a ≤ b, computed on the side of zero where it keeps its precision. */
export function logNormalMass(a: number, b: number): number {
  if (!(b > a)) return -Infinity;
  let mass: number;
  if (a >= 0) mass = 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2));
  else if (b <= 0) mass = 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
  else mass = 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
  return Math.log(Math.max(mass, Number.MIN_VALUE));
}

/** log φ(z) of the standard normal density. */
export function logNormPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** Φ⁻¹(p) (Acklam's rational approximation, relative error < 1.2e-9), for 0 < p < 1. */
export function normInv(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * A standard normal draw truncated to [a, b], by inversion with u ∈ [0, 1). In the upper tail it inverts the
 * survival function instead of the CDF, so a kernel whose mass sits at 5σ still samples correctly.
 */
export function truncNormStd(a: number, b: number, u: number): number {
  if (!(b > a)) return a;
  let z: number;
  if (a >= 0) {
    const qa = 0.5 * erfc(a / Math.SQRT2);
    const qb = 0.5 * erfc(b / Math.SQRT2);
    z = -normInv(qa - u * (qa - qb));
  } else {
    const pa = normCdf(a);
    const pb = normCdf(b);
    z = normInv(pa + u * (pb - pa));
  }
  if (!Number.isFinite(z)) z = u < 0.5 ? a : b;
  return Math.min(b, Math.max(a, z));
}
