import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GridSampler } from '../../src/samplers/grid.js';
import { plannedTrialCount } from '../../src/samplers/index.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import type { Distribution } from '../../src/space/distributions.js';

describe('grid sampler', () => {
  const grid = new GridSampler({
    learning_rate: { type: 'categorical', values: [0.1, 0.01] },
    units: { type: 'int_uniform', min: 16, max: 48, q: 16 },
    optimizer: { type: 'constant', value: 'adam' },
  });

  it('enumerates the cartesian product in file order, last parameter fastest', () => {
    assert.equal(grid.size(), 6);
    const all = Array.from({ length: 6 }, (_, i) => grid.sample(i));
    assert.deepEqual(all, [
      { learning_rate: 0.1, units: 16, optimizer: 'adam' },
      { learning_rate: 0.1, units: 32, optimizer: 'adam' },
      { learning_rate: 0.1, units: 48, optimizer: 'adam' },
      { learning_rate: 0.01, units: 16, optimizer: 'adam' },
      { learning_rate: 0.01, units: 32, optimizer: 'adam' },
      { learning_rate: 0.01, units: 48, optimizer: 'adam' },
    ]);
    assert.deepEqual(Object.keys(all[0]!), ['learning_rate', 'units', 'optimizer']);
  });

  it('answers null past the end', () => {
    assert.equal(grid.sample(6), null);
    assert.equal(grid.sample(-1), null);
  });

  it('drops duplicate values so no configuration runs twice', () => {
    assert.equal(new GridSampler({ units: { type: 'categorical', values: [8, 8, 16] } }).size(), 2);
  });

  it('is capped by run_cap', () => {
    const spec = parseSpecText('method: grid\nrun_cap: 4\nparameters:\n  units: {values: [1, 2, 3]}\n  epochs: {values: [1, 2]}\n', 'g.yaml').spec;
    assert.equal(plannedTrialCount(spec), 4);
    assert.equal(plannedTrialCount({ ...spec, run_cap: null }), 6);
  });
});

describe('random sampler', () => {
  const space: Record<string, Distribution> = {
    learning_rate: { type: 'log_uniform_values', min: 1e-4, max: 1e-1 },
    units: { type: 'int_uniform', min: 32, max: 512, q: 32 },
    optimizer: { type: 'categorical', values: ['adam', 'sgd', 'rmsprop'] },
  };

  it('gives the same trials for the same seed, in any order of asking', () => {
    const a = new RandomSampler(space, 123);
    const b = new RandomSampler(space, 123);
    const forward = [0, 1, 2, 3, 4].map((i) => a.sample(i));
    const backward = [4, 3, 2, 1, 0].map((i) => b.sample(i)).reverse();
    assert.deepEqual(forward, backward);
  });

  it('gives different trials for another seed, and different configurations within a seed', () => {
    const a = new RandomSampler(space, 1);
    const b = new RandomSampler(space, 2);
    assert.notDeepEqual(a.sample(0), b.sample(0));
    const keys = new Set(Array.from({ length: 50 }, (_, i) => JSON.stringify(a.sample(i))));
    assert.equal(keys.size, 50);
  });

  it('keeps every value inside its distribution', () => {
    const s = new RandomSampler(space, 7);
    for (let i = 0; i < 500; i++) {
      const p = s.sample(i);
      assert.ok((p.learning_rate as number) >= 1e-4 && (p.learning_rate as number) <= 1e-1);
      assert.ok((p.units as number) % 32 === 0 && (p.units as number) >= 32 && (p.units as number) <= 512);
      assert.ok(['adam', 'sgd', 'rmsprop'].includes(p.optimizer as string));
    }
    assert.equal(s.size(), null);
  });
});
