import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enumerate, sample, type Distribution } from '../../src/space/distributions.js';
import { createRng, deriveSeed } from '../../src/space/rng.js';

function draws(dist: Distribution, n = 5000, seed = 1): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sample(dist, rng) as number);
}

describe('distributions', () => {
  it('uniform stays in [min, max] and covers it', () => {
    const xs = draws({ type: 'uniform', min: -2, max: 3 });
    assert.ok(xs.every((x) => x >= -2 && x <= 3));
    assert.ok(Math.min(...xs) < -1.9 && Math.max(...xs) > 2.9);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.1, `mean ${mean}`);
  });

  it('int_uniform gives every step value, only those, about equally often', () => {
    const xs = draws({ type: 'int_uniform', min: 32, max: 512, q: 32 }, 15000);
    const counts = new Map<number, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => 32 * (i + 1)));
    for (const c of counts.values()) assert.ok(Math.abs(c - 15000 / 16) < 150, `count ${c}`);
  });

  it('q_uniform returns multiples of q inside the bounds, without float noise', () => {
    const xs = draws({ type: 'q_uniform', min: 0.05, max: 0.95, q: 0.1 });
    assert.ok(xs.every((x) => x >= 0.05 && x <= 0.95));
    assert.deepEqual([...new Set(xs)].sort(), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
  });

  it('log_uniform_values is uniform in log space', () => {
    const xs = draws({ type: 'log_uniform_values', min: 1e-5, max: 1e-1 }, 8000);
    assert.ok(xs.every((x) => x >= 1e-5 && x <= 1e-1));
    const perDecade = [0, 0, 0, 0];
    for (const x of xs) perDecade[Math.min(3, Math.floor(Math.log10(x) + 5))]!++;
    for (const c of perDecade) assert.ok(Math.abs(c - 2000) < 150, `decade count ${c}`);
  });

  it('log_uniform takes natural-log bounds (W&B)', () => {
    const xs = draws({ type: 'log_uniform', min: Math.log(1e-4), max: Math.log(1e-2) });
    assert.ok(xs.every((x) => x >= 1e-4 * (1 - 1e-9) && x <= 1e-2 * (1 + 1e-9)));
  });

  it('q_log_uniform_values rounds to q inside the bounds', () => {
    const xs = draws({ type: 'q_log_uniform_values', min: 16, max: 512, q: 16 });
    assert.ok(xs.every((x) => x % 16 === 0 && x >= 16 && x <= 512));
  });

  it('categorical follows its probabilities', () => {
    const rng = createRng(5);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10000; i++) counts[sample({ type: 'categorical', values: ['a', 'b', 'c'], probabilities: [0.7, 0.2, 0.1] }, rng) as string]!++;
    assert.ok(Math.abs(counts.a! - 7000) < 200 && Math.abs(counts.b! - 2000) < 150 && Math.abs(counts.c! - 1000) < 120, JSON.stringify(counts));
  });

  it('enumerates discrete distributions for a grid', () => {
    assert.deepEqual(enumerate({ type: 'int_uniform', min: 1, max: 7, q: 3 }), [1, 4, 7]);
    assert.deepEqual(enumerate({ type: 'q_uniform', min: 0, max: 0.3, q: 0.1 }), [0, 0.1, 0.2, 0.3]);
    assert.deepEqual(enumerate({ type: 'constant', value: 'x' }), ['x']);
    assert.throws(() => enumerate({ type: 'uniform', min: 0, max: 1 }));
  });

  it('seeded streams are reproducible and distinct per key', () => {
    const a = createRng(deriveSeed(9, 'params', 3));
    const b = createRng(deriveSeed(9, 'params', 3));
    const c = createRng(deriveSeed(9, 'params', 4));
    const sa = [a(), a(), a()];
    assert.deepEqual(sa, [b(), b(), b()]);
    assert.notDeepEqual(sa, [c(), c(), c()]);
  });
});
