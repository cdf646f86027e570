/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for the few smooth, unconstrained problems
 * of the Gaussian process (its hyperparameters in log space). An objective may return Infinity where it is
 * undefined (a kernel matrix that is not positive definite): the line search then steps back.
 */
export type Objective = (x: Float64Array) => { f: number; g: Float64Array };

export interface LbfgsOptions {
  maxIterations: number;
  /** Stop when the gradient's largest component falls below this. */
  gradientTolerance: number;
  /** Memory: how many past steps shape the curvature estimate. */
  memory?: number;
}

export function minimize(objective: Objective, x0: Float64Array, options: LbfgsOptions): { x: Float64Array; f: number; evaluations: number } {
  const m = options.memory ?? 8;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let { f, g } = objective(x);
  let evaluations = 1;
  if (!Number.isFinite(f)) return { x, f, evaluations };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  for (let iter = 0; iter < options.maxIterations; iter++) {
    if (maxAbs(g) < options.gradientTolerance) break;
    // Two-loop recursion: d = −H g.
    const q = Float64Array.from(g);
    const alphas = new Array<number>(ss.length);
    for (let i = ss.length - 1; i >= 0; i--) {
      alphas[i] = rhos[i]! * dot(ss[i]!, q);
      axpy(-alphas[i]!, ys[i]!, q);
    }
    const gammaScale = ss.length ? dot(ss[ss.length - 1]!, ys[ys.length - 1]!) / dot(ys[ys.length - 1]!, ys[ys.length - 1]!) : 1 / Math.max(1, maxAbs(g));
    for (let i = 0; i < n; i++) q[i] = q[i]! * gammaScale;
    for (let i = 0; i < ss.length; i++) {
      const beta = rhos[i]! * dot(ys[i]!, q);
      axpy(alphas[i]! - beta, ss[i]!, q);
    }
    for (let i = 0; i < n; i++) q[i] = -q[i]!;
    let slope = dot(q, g);
    if (!(slope < 0)) {
      // Not a descent direction (curvature pairs gone stale): restart from steepest descent.
      ss.length = ys.length = rhos.length = 0;
      for (let i = 0; i < n; i++) q[i] = -g[i]! / Math.max(1, maxAbs(g));
      slope = dot(q, g);
    }
    let step = 1;
    let next: { f: number; g: Float64Array } | null = null;
    let xn = x;
    for (let tries = 0; tries < 30; tries++) {
      xn = Float64Array.from(x, (v, i) => v + step * q[i]!);
      const r = objective(xn);
      evaluations++;
      if (Number.isFinite(r.f) && r.f <= f + 1e-4 * step * slope) {
        next = r;
        break;
      }
      step *= 0.5;
    }
    if (!next) break;
    const s = Float64Array.from(xn, (v, i) => v - x[i]!);
    const y = Float64Array.from(next.g, (v, i) => v - g[i]!);
    const sy = dot(s, y);
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
      if (ss.length > m) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    const improvement = f - next.f;
    x = xn;
    f = next.f;
    g = next.g;
    if (improvement < 1e-9 * Math.max(1, Math.abs(f))) break;
  }
  return { x, f, evaluations };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
