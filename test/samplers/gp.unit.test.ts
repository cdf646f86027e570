import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cholesky, inverseFromCholesky, solveLower, solveUpperT } from '../../src/samplers/gp/linalg.js';
import { fitGaussianProcess, negLogPosterior, sqDist } from '../../src/samplers/gp/model.js';
import { haltonPoints, logEi } from '../../src/samplers/gp/acquisition.js';
import { GP_DEFAULTS, GpSampler, MAX_POINTS } from '../../src/samplers/gp/gp.js';
import { AutoSampler, GP_TRIAL_LIMIT } from '../../src/samplers/auto.js';
import { bayesPlugin, BAYES_DEFAULTS } from '../../src/samplers/bayes.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { TpeSampler } from '../../src/samplers/tpe/tpe.js';
import { normCdf } from '../../src/samplers/tpe/normal.js';
import type { Distribution, Params } from '../../src/space/distributions.js';
import { createRng } from '../../src/space/rng.js';
import type { TrialRecord } from '../../src/storage/storage.js';
import { optimize, record } from './history.js';

const H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const H_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991], [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.665], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]];
const hartmannSpace: Record<string, Distribution> = Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`x${i}`, { type: 'uniform', min: 0, max: 1 }]));
const hartmann6 = (p: Params): number => -[1, 1.2, 3, 3.2].reduce((s, c, i) => s + c * Math.exp(-H_A[i]!.reduce((e, a, j) => e + a * ((p[`x${j}`] as number) - H_P[i]![j]!) ** 2, 0)), 0);

describe('GP linear algebra', () => {
  it('factors, solves and inverts a symmetric positive-definite matrix', () => {
    const n = 7;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = Math.exp(-((i - j) ** 2) / 4) + (i === j ? 0.1 : 0);
    const l = Float64Array.from(a);
    assert.equal(cholesky(l, n), true);
    // L Lᵀ gives back A; the upper triangle is zero.
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += l[i * n + k]! * l[j * n + k]!;
        assert.ok(Math.abs(s - a[i * n + j]!) < 1e-12);
        if (j > i) assert.equal(l[i * n + j], 0);
      }
    }
    const inv = inverseFromCholesky(l, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(A A⁻¹)[${i}][${j}] = ${s}`);
      }
    }
    const b = Float64Array.from({ length: n }, (_, i) => i - 3);
    const x = solveUpperT(l, n, solveLower(l, n, Float64Array.from(b)));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * x[k]!;
      assert.ok(Math.abs(s - b[i]!) < 1e-10);
    }
  });

  it('says when a matrix is not positive definite', () => {
    assert.equal(cholesky(Float64Array.from([1, 2, 2, 1]), 2), false);
  });
});

describe('GP model', () => {
  const rng = createRng(3);
  const n = 24;
  const d = 3;
  const categorical = [false, false, true];
  const x = new Float64Array(n * d).map((_, i) => (i % d === 2 ? Math.floor(rng() * 3) : rng()));
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(6 * x[i * d]!) + x[i * d + 1]! ** 2 + (x[i * d + 2] === 1 ? 0.5 : 0));

  it("has the exact gradient of its hyperparameters' log posterior", () => {
    const sq = Array.from({ length: d }, (_, m) => {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = sqDist(x, i, x, j, d, m, categorical);
      return a;
    });
    const f = negLogPosterior(y, d, sq);
    const theta = Float64Array.from([0.3, -0.5, 0.1, 0.2, -3]);
    const { g } = f(theta);
    for (let i = 0; i < theta.length; i++) {
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[i] = up[i]! + 1e-6;
      down[i] = down[i]! - 1e-6;
      const numeric = (f(up).f - f(down).f) / 2e-6;
      assert.ok(Math.abs(numeric - g[i]!) < 1e-5 * Math.max(1, Math.abs(numeric)), `θ${i}: analytic ${g[i]} numeric ${numeric}`);
    }
  });

  it('interpolates a smooth function and learns which dimension matters', () => {
    const gp = fitGaussianProcess(x, y, d, categorical);
    // Noiseless data: the fitted noise is small and the posterior mean passes through the points.
    assert.ok(gp.hyper.noise < 1e-2, `noise ${gp.hyper.noise}`);
    const at = gp.predict(x, n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(at.mean[i]! - y[i]!) < 0.05);
    // sin(6x₀) varies faster than x₁²: a shorter length scale (larger inverse square).
    assert.ok(gp.hyper.isl[0]! > gp.hyper.isl[1]!, `isl ${Array.from(gp.hyper.isl)}`);
    // Held-out points of the same function are predicted closely.
    const test = Float64Array.from([0.25, 0.5, 1, 0.6, 0.3, 0]);
    const truth = [Math.sin(1.5) + 0.25 + 0.5, Math.sin(3.6) + 0.09];
    const p = gp.predict(test, 2);
    for (let i = 0; i < 2; i++) assert.ok(Math.abs(p.mean[i]! - truth[i]!) < 0.25, `predicted ${p.mean[i]} for ${truth[i]}`);
  });

  it('fits a noise term to noisy data', () => {
    const noisy = Float64Array.from(y, (v) => v + (rng() - 0.5) * 1.5);
    const gp = fitGaussianProcess(x, noisy, d, categorical);
    assert.ok(gp.hyper.noise > 0.02, `noise ${gp.hyper.noise}`);
  });

  it('lowers the variance where a point is believed, not the mean', () => {
    const gp = fitGaussianProcess(x, y, d, categorical);
    const p = Float64Array.from([0.9, 0.9, 2]);
    const before = gp.predict(p, 1);
    const after = gp.withBelieved(p, 1).predict(p, 1);
    assert.ok(Math.abs(after.mean[0]! - before.mean[0]!) < 1e-6);
    assert.ok(after.variance[0]! < before.variance[0]! / 2);
  });
});

describe('log expected improvement', () => {
  it('is the log of the closed form where that is representable, and finite far below it', () => {
    for (const [mean, variance, best] of [[0, 1, 0], [1, 0.25, 0.2], [-2, 4, 0], [3, 0.01, 0]] as const) {
      const s = Math.sqrt(variance);
      const z = (best - mean) / s;
      const ei = s * (z * normCdf(z) + Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI));
      if (ei > 1e-12) assert.ok(Math.abs(logEi(mean, variance, best) - Math.log(ei)) < 1e-5);
    }
    // z = −40: EI underflows to 0 in double precision; its log still orders candidates.
    const far = logEi(40, 1, 0);
    const farther = logEi(41, 1, 0);
    assert.ok(Number.isFinite(far) && farther < far);
    // Continuous across the switch to the asymptotic series at z = −8.
    assert.ok(Math.abs(logEi(7.999, 1, 0) - logEi(8.001, 1, 0)) < 0.05);
  });

  it('covers the unit cube with shifted Halton points', () => {
    const pts = haltonPoints(256, 3, createRng(1));
    for (const v of pts) assert.ok(v >= 0 && v < 1);
    // Low discrepancy: each half of each axis holds close to half of the points.
    for (let m = 0; m < 3; m++) {
      let low = 0;
      for (let i = 0; i < 256; i++) low += pts[i * 3 + m]! < 0.5 ? 1 : 0;
      assert.ok(Math.abs(low - 128) <= 2, `axis ${m}: ${low}`);
    }
  });
});

describe('GP sampler', () => {
  const mixed: Record<string, Distribution> = {
    lr: { type: 'log_uniform_values', min: 1e-5, max: 1e-1 },
    units: { type: 'int_uniform', min: 16, max: 512, q: 16 },
    optimizer: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
    fixed: { type: 'constant', value: 'yes' },
  };
  const mixedF = (p: Params): number => (Math.log10(p.lr as number) + 3) ** 2 + ((p.units as number) - 256) ** 2 / 1e4 + (p.optimizer === 'adam' ? 0 : 0.5);

  it('is random for the first n_startup_trials, then deterministic given the history', () => {
    const gp = new GpSampler(mixed, 'minimize', 5);
    const random = new RandomSampler(mixed, 5);
    const history: TrialRecord[] = [];
    for (let i = 0; i < GP_DEFAULTS.n_startup_trials; i++) {
      assert.deepEqual(gp.sample(i, history), random.sample(i));
      history.push(record(i, random.sample(i), mixedF(random.sample(i))));
    }
    const a = gp.sample(10, history);
    assert.deepEqual(new GpSampler(mixed, 'minimize', 5).sample(10, history), a);
    assert.notDeepEqual(a, random.sample(10));
  });

  it("proposes values inside each parameter's distribution", () => {
    const { history } = optimize((i, h) => new GpSampler(mixed, 'minimize', 7).sample(i, h), mixedF, 25);
    for (const t of history) {
      const p = t.params;
      assert.ok((p.lr as number) >= 1e-5 && (p.lr as number) <= 1e-1);
      assert.ok(Number.isInteger(((p.units as number) - 16) / 16) && (p.units as number) >= 16 && (p.units as number) <= 512);
      assert.ok(['sgd', 'adam', 'rmsprop'].includes(p.optimizer as string));
      assert.equal(p.fixed, 'yes');
      assert.deepEqual(Object.keys(p), ['lr', 'units', 'optimizer', 'fixed']);
    }
  });

  it('finds the optimum of a mixed space and of Hartmann-6 far better than random search', () => {
    const seeds = [1, 2, 3];
    const gpMixed = seeds.map((s) => optimize((i, h) => new GpSampler(mixed, 'minimize', s).sample(i, h), mixedF, 30).best);
    const rndMixed = seeds.map((s) => optimize((i) => new RandomSampler(mixed, s).sample(i), mixedF, 30).best);
    assert.ok(gpMixed.every((v, i) => v < rndMixed[i]!), `gp ${gpMixed} random ${rndMixed}`);
    assert.ok(Math.max(...gpMixed) < 0.05, `gp ${gpMixed}`);
    // Hartmann-6 (optimum −3.3224) in 40 trials: random search reaches about −2.
    const gpH = seeds.map((s) => optimize((i, h) => new GpSampler(hartmannSpace, 'minimize', s).sample(i, h), hartmann6, 40).best);
    assert.ok(gpH.filter((v) => v < -3).length >= 2, `gp ${gpH}`);
  });

  it('searches a list of numbers as an ordered axis, not as unrelated categories', () => {
    // 60 values, listed out of order; the best is the 41st smallest. Blind picking among unrelated categories
    // finds it in 16 trials one time in four; along the ordered axis the model walks to it.
    const values = Array.from({ length: 60 }, (_, i) => (i * 37) % 60).map((r) => 2 ** (r / 6));
    const list: Record<string, Distribution> = { v: { type: 'categorical', values } };
    const target = 2 ** (40 / 6);
    const f = (p: Params): number => (Math.log2(p.v as number) - Math.log2(target)) ** 2;
    for (const seed of [1, 2, 3]) {
      const { best } = optimize((i, h) => new GpSampler(list, 'minimize', seed, { ...GP_DEFAULTS, n_startup_trials: 5 }).sample(i, h), f, 16);
      assert.ok(best < 1e-9, `seed ${seed}: best ${best}`);
    }
  });

  it('maximises when the goal says so', () => {
    const { best } = optimize((i, h) => new GpSampler(mixed, 'maximize', 2).sample(i, h), (p) => mixedF(p), 25);
    const worst = optimize((i, h) => new GpSampler(mixed, 'maximize', 2).sample(i, h), (p) => -mixedF(p), 25);
    // Maximising −f is minimising f: the best of f found that way is far below f's maximum-seeking run's minimum.
    assert.ok(worst.history.reduce((m, t) => Math.min(m, -(t.value as number)), Infinity) < 0.2);
    assert.ok(Number.isFinite(best));
  });

  it('sends a parallel worker elsewhere than a trial in flight', () => {
    const { history } = optimize((i, h) => new GpSampler(hartmannSpace, 'minimize', 4).sample(i, h), hartmann6, 15);
    const gp = new GpSampler(hartmannSpace, 'minimize', 4);
    const first = gp.sample(15, history);
    const withRunning = [...history, record(15, first, null, 'running')];
    const second = gp.sample(15, withRunning);
    const distance = Math.hypot(...[0, 1, 2, 3, 4, 5].map((j) => (first[`x${j}`] as number) - (second[`x${j}`] as number)));
    assert.ok(distance > 0.01, `second proposal ${distance} from the first`);
  });
});

describe('GP on awkward histories', () => {
  it('answers with a valid configuration for repeated points, constant values and values beyond standardising', () => {
    const small: Record<string, Distribution> = { a: { type: 'int_uniform', min: 0, max: 2, q: 1 }, b: { type: 'categorical', values: ['x', 'y'] } };
    const repeated = Array.from({ length: 60 }, (_, i) => record(i, { a: i % 3, b: i % 2 ? 'x' : 'y' }, (i % 3) + (i % 7) * 1e-9));
    const running = Array.from({ length: 5 }, (_, i) => record(60 + i, { a: 1, b: 'x' }, null, 'running'));
    const p = new GpSampler(small, 'minimize', 1).sample(65, [...repeated, ...running]);
    assert.ok([0, 1, 2].includes(p.a as number) && ['x', 'y'].includes(p.b as string));
    assert.notDeepEqual(p, { a: 1, b: 'x' });
    const constant = Array.from({ length: 40 }, (_, i) => record(i, { a: 1, b: 'x' }, 0.5));
    assert.ok([0, 1, 2].includes(new GpSampler(small, 'minimize', 1).sample(40, constant).a as number));
    const line: Record<string, Distribution> = { a: { type: 'uniform', min: 0, max: 1 } };
    const huge = Array.from({ length: 15 }, (_, i) => record(i, { a: i / 15 }, i % 2 ? 1e308 : -1e308 * (i / 15)));
    const q = new GpSampler(line, 'minimize', 1).sample(15, huge);
    assert.ok((q.a as number) >= 0 && (q.a as number) <= 1);
  });
});

describe('GP on a long sweep', () => {
  it('fits the best half and the most recent half of MAX_POINTS trials once there are more', () => {
    const space: Record<string, Distribution> = { a: { type: 'uniform', min: 0, max: 1 }, b: { type: 'uniform', min: 0, max: 1 } };
    const f = (p: Params): number => ((p.a as number) - 0.3) ** 2 + ((p.b as number) - 0.6) ** 2;
    const random = new RandomSampler(space, 8);
    const history = Array.from({ length: MAX_POINTS + 100 }, (_, i) => record(i, random.sample(i), f(random.sample(i))));
    const best = [...history].sort((x, y) => (x.value as number) - (y.value as number)).slice(0, MAX_POINTS / 2);
    const kept = new Set(best);
    for (let i = history.length - 1; kept.size < MAX_POINTS; i--) kept.add(history[i]!);
    const gp = new GpSampler(space, 'minimize', 1);
    assert.deepEqual(gp.sample(history.length, history), gp.sample(history.length, history.filter((t) => kept.has(t))));
  });
});

describe('bayes: sampler auto', () => {
  const numeric: Record<string, Distribution> = { a: { type: 'uniform', min: 0, max: 1 }, b: { type: 'int_uniform', min: 1, max: 9, q: 1 } };
  const withCategory: Record<string, Distribution> = { ...numeric, c: { type: 'categorical', values: ['x', 'y'] } };
  const dummy = new RandomSampler(numeric, 1);

  it('picks the GP for spaces without conditions until GP_TRIAL_LIMIT trials, the TPE otherwise', () => {
    const auto = new AutoSampler(numeric, undefined, dummy, dummy);
    assert.equal(auto.choice(0), 'gp');
    assert.equal(auto.choice(GP_TRIAL_LIMIT - 1), 'gp');
    assert.equal(auto.choice(GP_TRIAL_LIMIT), 'tpe');
    assert.equal(new AutoSampler(withCategory, undefined, dummy, dummy).choice(0), 'gp');
    assert.equal(new AutoSampler(numeric, { b: { a: { min: 0.5 } } }, dummy, dummy).choice(0), 'tpe');
    // A condition every value of its parent meets leaves the space flat (the trainer's `units` when layers ≥ 1).
    assert.equal(new AutoSampler(numeric, { a: { b: { min: 1 } } }, dummy, dummy).choice(0), 'gp');
    assert.equal(new AutoSampler(withCategory, { a: { c: { values: ['x', 'y'] } } }, dummy, dummy).choice(0), 'gp');
    // …unless the parent itself can be absent.
    const chain: Record<string, Distribution> = { ...withCategory, d: { type: 'uniform', min: 0, max: 1 } };
    assert.equal(new AutoSampler(chain, { b: { c: { values: ['x'] } }, d: { b: { min: 1 } } }, dummy, dummy).choice(0), 'tpe');
  });

  it('is the default of method: bayes, and a block stored without `sampler` keeps the TPE', () => {
    assert.equal(bayesPlugin.resolve(undefined).sampler, 'auto');
    const history: TrialRecord[] = optimize((i) => new RandomSampler(numeric, 9).sample(i), (p) => (p.a as number) + (p.b as number), 12).history;
    const settings = bayesPlugin.resolve(undefined);
    const auto = bayesPlugin.create({ parameters: numeric, goal: 'minimize', seed: 3, settings });
    assert.deepEqual(auto.sample(12, history), new GpSampler(numeric, 'minimize', 3).sample(12, history));
    const { sampler: _omitted, ...stored } = settings;
    const old = bayesPlugin.create({ parameters: numeric, goal: 'minimize', seed: 3, settings: stored as typeof settings });
    assert.deepEqual(old.sample(12, history), new TpeSampler(numeric, 'minimize', 3, { ...BAYES_DEFAULTS }).sample(12, history));
  });
});
