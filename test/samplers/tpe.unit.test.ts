import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RandomSampler } from '../../src/samplers/random.js';
import { TPE_DEFAULTS, TpeSampler, defaultGamma } from '../../src/samplers/tpe/tpe.js';
import { defaultWeights } from '../../src/samplers/tpe/parzen.js';
import { logNormalMass, normCdf, normInv, truncNormStd } from '../../src/samplers/tpe/normal.js';
import type { Distribution, Params } from '../../src/space/distributions.js';
import { createRng } from '../../src/space/rng.js';
import type { TrialRecord } from '../../src/storage/storage.js';
import { optimize, record } from './history.js';

const space: Record<string, Distribution> = {
  lr: { type: 'log_uniform_values', min: 1e-5, max: 1e-1 },
  units: { type: 'int_uniform', min: 16, max: 512, q: 16 },
  dropout: { type: 'q_uniform', min: 0, max: 0.7, q: 0.05 },
  optimizer: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'], probabilities: [0.2, 0.5, 0.3] },
  x: { type: 'uniform', min: -5, max: 10 },
  w: { type: 'log_uniform', min: -4, max: 0 },
  k: { type: 'q_log_uniform_values', min: 8, max: 1024, q: 8 },
  fixed: { type: 'constant', value: 'yes' },
};

const quadratic = (p: Params): number =>
  (Math.log10(p.lr as number) + 3) ** 2 + ((p.units as number) - 256) ** 2 / 1e4 + ((p.dropout as number) - 0.3) ** 2 + (p.optimizer === 'adam' ? 0 : 0.5) + ((p.x as number) - 2) ** 2 / 10;

describe('TPE sampler', () => {
  it("follows Optuna's gamma and weights", () => {
    assert.deepEqual([0, 1, 10, 11, 100, 250, 1000].map(defaultGamma), [0, 1, 1, 2, 10, 25, 25]);
    assert.deepEqual(defaultWeights(3), [1, 1, 1]);
    const w = defaultWeights(30);
    assert.equal(w.length, 30);
    assert.ok(Math.abs(w[0]! - 1 / 30) < 1e-12);
    // numpy's linspace(1/30, 1, 5) then 25 ones
    assert.ok(w[3]! < 1 && Math.abs(w[4]! - 1) < 1e-12 && w[5] === 1 && w[29] === 1);
    assert.ok(Math.abs(w[1]! - (1 / 30 + (1 - 1 / 30) / 4)) < 1e-12);
  });

  it('is random for the first n_startup_trials', () => {
    const tpe = new TpeSampler(space, 'minimize', 3);
    const random = new RandomSampler(space, 3);
    const history: TrialRecord[] = [];
    for (let i = 0; i < TPE_DEFAULTS.n_startup_trials; i++) {
      assert.deepEqual(tpe.sample(i, history), random.sample(i));
      history.push(record(i, random.sample(i), i));
    }
    assert.notDeepEqual(tpe.sample(10, history), random.sample(10));
  });

  it('keeps every value inside its distribution: bounds, steps, log scales, categories, constants', () => {
    const { history } = optimize((i, h) => new TpeSampler(space, 'minimize', 5).sample(i, h), quadratic, 60);
    for (const t of history.slice(10)) {
      const p = t.params;
      assert.ok((p.lr as number) >= 1e-5 && (p.lr as number) <= 1e-1, `lr ${p.lr}`);
      assert.ok(Number.isInteger(p.units) && (p.units as number) % 16 === 0 && (p.units as number) >= 16 && (p.units as number) <= 512, `units ${p.units}`);
      assert.ok(Math.abs((p.dropout as number) / 0.05 - Math.round((p.dropout as number) / 0.05)) < 1e-9 && (p.dropout as number) <= 0.7, `dropout ${p.dropout}`);
      assert.ok(['sgd', 'adam', 'rmsprop'].includes(p.optimizer as string));
      assert.ok((p.x as number) >= -5 && (p.x as number) <= 10);
      assert.ok((p.w as number) >= Math.exp(-4) - 1e-12 && (p.w as number) <= 1 + 1e-12);
      assert.ok((p.k as number) % 8 === 0 && (p.k as number) >= 8 && (p.k as number) <= 1024, `k ${p.k}`);
      assert.equal(p.fixed, 'yes');
      assert.deepEqual(Object.keys(p), Object.keys(space));
    }
  });

  it('is reproducible: the same seed and history give the same sequence', () => {
    const a = optimize((i, h) => new TpeSampler(space, 'minimize', 11).sample(i, h), quadratic, 30).history.map((t) => t.params);
    const b = optimize((i, h) => new TpeSampler(space, 'minimize', 11).sample(i, h), quadratic, 30).history.map((t) => t.params);
    const c = optimize((i, h) => new TpeSampler(space, 'minimize', 12).sample(i, h), quadratic, 30).history.map((t) => t.params);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('beats random search on a smooth function over 10 seeds (median best value)', () => {
    const median = (xs: number[]): number => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
    const tpe: number[] = [];
    const rnd: number[] = [];
    for (let seed = 0; seed < 10; seed++) {
      const t = new TpeSampler(space, 'minimize', seed);
      const r = new RandomSampler(space, seed);
      tpe.push(optimize((i, h) => t.sample(i, h), quadratic, 60).best);
      rnd.push(optimize((i) => r.sample(i), quadratic, 60).best);
    }
    assert.ok(median(tpe) < 0.5 * median(rnd), `TPE median ${median(tpe)} vs random ${median(rnd)}`);
    assert.ok(tpe.filter((v, i) => v < rnd[i]!).length >= 8, `TPE won ${tpe.filter((v, i) => v < rnd[i]!).length}/10`);
  });

  it('maximizes when the goal says so', () => {
    const f = (p: Params): number => -(((p.x as number) - 7) ** 2);
    const s = new TpeSampler({ x: { type: 'uniform', min: -5, max: 10 } }, 'maximize', 1);
    const { history } = optimize((i, h) => s.sample(i, h), f, 40);
    const late = history.slice(30).map((t) => Math.abs((t.params.x as number) - 7));
    const best = Math.min(...history.map((t) => Math.abs((t.params.x as number) - 7)));
    // Uniform draws on [-5, 10] land 5.1 from 7 on average.
    assert.ok(late.reduce((a, b) => a + b, 0) / late.length < 2.5, `late distances ${late.join(', ')}`);
    assert.ok(best < 0.2, `best distance ${best}`);
  });

  it('treats running trials as the worst value and never proposes a running configuration again', () => {
    const small: Record<string, Distribution> = { a: { type: 'categorical', values: [1, 2, 3] }, b: { type: 'categorical', values: ['x', 'y'] } };
    const s = new TpeSampler(small, 'minimize', 2, { ...TPE_DEFAULTS, n_startup_trials: 3 });
    const history = [record(0, { a: 1, b: 'x' }, 0.1), record(1, { a: 2, b: 'y' }, 0.5), record(2, { a: 3, b: 'x' }, 0.9)];
    const seen = new Set<string>();
    for (let i = 3; i < 8; i++) {
      const p = s.sample(i, history);
      const key = JSON.stringify(p);
      assert.ok(!seen.has(key), `configuration ${key} proposed while already running`);
      seen.add(key);
      history.push(record(i, p, null, 'running'));
    }
  });
});

describe('TPE on a grid', () => {
  // Five ordinal axes of 10 points (as HPOBench's tables): 80 trials seen (enough for the magic clip to let
  // kernels narrow below a step), the good ones around (4, 4, 4, 4, 4).
  const grid: Record<string, Distribution> = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, { type: 'int_uniform', min: 0, max: 9, q: 1 }]));
  const f = (p: Params): number => Object.values(p).reduce((s: number, v) => s + ((v as number) - 4) ** 2, 0);
  const seen: TrialRecord[] = [];
  const random = new RandomSampler(grid, 11);
  for (let i = 0; i < 80; i++) seen.push(record(i, random.sample(i), f(random.sample(i))));
  const unseenShare = (minStep: number): number => {
    const tpe = new TpeSampler(grid, 'minimize', 5, { ...TPE_DEFAULTS, min_step_bandwidth: minStep });
    const configs = new Set(seen.map((t) => JSON.stringify(t.params)));
    let unseen = 0;
    for (let i = 0; i < 60; i++) if (!configs.has(JSON.stringify(tpe.sample(80 + i, seen)))) unseen++;
    return unseen / 60;
  };

  it('proposes neighbours of the configurations it has seen, not only repeats, when kernels are a step wide', () => {
    const without = unseenShare(0);
    const withFloor = unseenShare(1);
    assert.ok(withFloor > 0.8 && withFloor > without + 0.2, `new configurations: ${withFloor} with the floor, ${without} without`);
  });
});

describe('normal helpers', () => {
  it('computes CDF, inverse and tail masses accurately', () => {
    assert.ok(Math.abs(normCdf(1.96) - 0.9750021048517795) < 1e-7);
    assert.ok(Math.abs(normInv(0.975) - 1.959963984540054) < 1e-7);
    // Far tail: Φ(9) − Φ(8) = Q(8) − Q(9) = 6.220960574271786e-16 − 1.1285884059538e-19
    assert.ok(Math.abs(logNormalMass(8, 9) - Math.log(6.220960574271786e-16 - 1.1285884059538e-19)) < 1e-6);
    assert.equal(logNormalMass(1, 1), -Infinity);
  });

  it('samples a truncated normal inside its bounds with the right mean', () => {
    const rng = createRng(1);
    let sum = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const z = truncNormStd(0, Infinity, rng());
      assert.ok(z >= 0);
      sum += z;
    }
    // E[Z | Z > 0] = sqrt(2/π)
    assert.ok(Math.abs(sum / n - Math.sqrt(2 / Math.PI)) < 0.02, `mean ${sum / n}`);
    for (let i = 0; i < 1000; i++) {
      const z = truncNormStd(6, 7, rng());
      assert.ok(z >= 6 && z <= 7);
    }
  });
});
