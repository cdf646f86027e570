/**
 * Conditional parameters (`when:`): validation of the blocks (values, lists, ranges; unknown parents, cycles,
 * conditions that cannot hold), inactive parameters dropped, a grid counting distinct configurations, random
 * draws holding only active parameters, and the TPE's group decomposition on a conditional objective.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialRecord } from '../../src/core/records.js';
import type { Conditions, Distribution, Params } from '../../src/core/params.js';
import { cli, specErrorOf, tempDir, writeFile } from '../helpers.js';
import { activeParams, describeConditions } from '../../src/space/conditions.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { GridSampler } from '../../src/samplers/grid.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { TpeSampler, TPE_DEFAULTS } from '../../src/samplers/tpe/tpe.js';

const PROGRAM = JSON.stringify(process.execPath);
const file = (params: string, method = 'random') => `name: s\nmethod: ${method}\nrun_cap: 5\nprogram: ${PROGRAM}\nparameters:\n${params}`;

const errorOf = (text: string): string => specErrorOf(text);

const ARCH = `  layers: {values: [1, 2]}
  units_2: {values: [32, 64], when: {layers: {min: 2}}}
  optimizer: {values: [adam, sgd]}
  momentum: {values: [0.5, 0.9], when: {optimizer: sgd}}
`;

describe('conditional parameters', () => {
  it('reads a value, a list and a range, naming each condition', () => {
    const { spec } = parseSpecText(file(`${ARCH}  kind: {values: [a, b, c]}\n  x: {min: 0.0, max: 1.0, when: {kind: [b, c], layers: {min: 1, max: 1}}}\n`), 'sweep.yaml');
    assert.deepEqual(spec.conditions, {
      units_2: { layers: { min: 2 } },
      momentum: { optimizer: { values: ['sgd'] } },
      x: { kind: { values: ['b', 'c'] }, layers: { min: 1, max: 1 } },
    });
    assert.equal(describeConditions(spec.conditions!['x']!), 'kind in ["b","c"], 1 ≤ layers ≤ 1');
    assert.equal(parseSpecText(file('  a: {values: [1, 2]}\n'), 'sweep.yaml').spec.conditions, undefined);
  });

  it('refuses an unknown parent, a parameter depending on itself, a cycle, and conditions that cannot hold', () => {
    assert.match(errorOf(file('  a: {values: [1, 2], when: {b: 1}}\n')), /^sweep\.yaml:6: parameters\.a\.when\.b: unknown parameter "b"/);
    assert.match(errorOf(file('  a: {values: [1, 2], when: {a: 1}}\n')), /parameters\.a\.when\.a: "a" cannot depend on itself/);
    assert.match(errorOf(file('  a: {values: [1, 2], when: {b: 1}}\n  b: {values: [1, 2], when: {c: 2}}\n  c: {values: [1, 2], when: {a: 1}}\n')), /a cycle of conditions: a → b → c → a/);
    assert.match(errorOf(file('  opt: {values: [adam, sgd]}\n  m: {values: [0.9], when: {opt: sdg}}\n')), /parameters\.m\.when\.opt: "opt" cannot take "sdg"/);
    assert.match(errorOf(file('  layers: {values: [1, 2, 3]}\n  u: {values: [8], when: {layers: {min: 4}}}\n')), /parameters\.u\.when\.layers: can never hold: "layers" lies in \[1, 3\]/);
    assert.match(errorOf(file('  layers: {values: [1, 2, 3]}\n  u: {values: [8], when: {layers: {min: 3, max: 2}}}\n')), /can never hold: min 3 > max 2/);
    assert.match(errorOf(file('  lr: {min: 0.001, max: 0.1}\n  u: {values: [8], when: {lr: 0.01}}\n')), /"lr" is uniform: it takes any one value almost never; give a range/);
    assert.match(errorOf(file('  opt: {values: [adam, sgd]}\n  u: {values: [8], when: {opt: {min: 1}}}\n')), /a range needs a numeric parameter/);
    assert.match(errorOf(file('  a: {values: [1, 2], when: {}}\n')), /parameters\.a\.when/);
  });

  it('keeps only active parameters, through chains of conditions', () => {
    const conditions: Conditions = { b: { a: { values: [1] } }, c: { b: { min: 5 } } };
    assert.deepEqual(activeParams({ a: 1, b: 7, c: 'x' }, conditions), { a: 1, b: 7, c: 'x' });
    assert.deepEqual(activeParams({ a: 1, b: 3, c: 'x' }, conditions), { a: 1, b: 3 });
    // c's parent is inactive, so c is too, whatever b's value would have been.
    assert.deepEqual(activeParams({ a: 2, b: 7, c: 'x' }, conditions), { a: 2 });
  });

  it('a grid runs each distinct configuration once: layers × units_2 × optimizer × momentum is 9, not 16', () => {
    const { spec } = parseSpecText(file(ARCH, 'grid'), 'sweep.yaml');
    const grid = new GridSampler(spec.parameters, spec.conditions);
    assert.equal(grid.size(), 9);
    const configs: Params[] = [];
    for (let i = 0; ; i++) {
      const p = grid.sample(i);
      if (p === null) break;
      configs.push(p);
    }
    assert.equal(configs.length, 9);
    assert.equal(new Set(configs.map((c) => JSON.stringify(c))).size, 9);
    assert.deepEqual(configs[0], { layers: 1, optimizer: 'adam' });
    assert.ok(configs.every((c) => ('units_2' in c) === (c['layers'] === 2) && ('momentum' in c) === (c['optimizer'] === 'sgd')));
  });

  it("the built-in trainer's own conditions hold without being written: the trainer grid of 16 runs its 9 distinct trainings", () => {
    const trainer = (params: string, method = 'grid') => `name: s\nmethod: ${method}\nparameters:\n${params}train: {epochs: 1}\n`;
    const { spec } = parseSpecText(trainer('  layers: {values: [1, 2]}\n  units_2: {values: [32, 64]}\n  optimizer: {values: [adam, sgd]}\n  momentum: {values: [0.5, 0.9]}\n'), 'sweep.yaml');
    assert.deepEqual(spec.conditions, { units_2: { layers: { min: 2 } }, momentum: { optimizer: { values: ['sgd', 'rmsprop'] } } });
    assert.equal(new GridSampler(spec.parameters, spec.conditions).size(), 9);
    // CNN settings act only for a CNN; filters_N only with that many blocks; a written condition wins.
    const cnn = parseSpecText(trainer('  model: {values: [mlp, cnn]}\n  conv_blocks: {values: [1, 2]}\n  filters_2: {values: [8, 16]}\n  kernel_size: {values: [3, 5], when: {model: cnn, conv_blocks: 2}}\n', 'random') + 'run_cap: 4\n', 'sweep.yaml').spec;
    assert.deepEqual(cnn.conditions, {
      conv_blocks: { model: { values: ['cnn'] } },
      filters_2: { conv_blocks: { min: 2 }, model: { values: ['cnn'] } },
      kernel_size: { model: { values: ['cnn'] }, conv_blocks: { values: [2] } },
    });
    assert.deepEqual(activeParams({ model: 'mlp', conv_blocks: 2, filters_2: 8, kernel_size: 3 }, cnn.conditions), { model: 'mlp' });
    assert.match(errorOf(trainer('  layers: {values: [1, 2], when: {units_2: 32}}\n  units_2: {values: [32, 64]}\n')), /a cycle of conditions/);
  });

  it("tfsweep validate shows each condition, the trainer's own marked", async () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', 'name: s\nmethod: grid\nparameters:\n  layers: {values: [1, 2]}\n  units_2: {values: [32, 64]}\n  optimizer: {values: [adam, sgd]}\n  momentum: {values: [0.5, 0.9], when: {optimizer: sgd}}\ntrain: {epochs: 1}\n');
    const out = await cli(['validate', 's.yaml'], dir);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /trials {4}9 \(grid\)/);
    assert.match(out.stdout, /units_2 {4}categorical \[32,64\] {2}when layers ≥ 2 \(the trainer's\)\n/);
    assert.match(out.stdout, /momentum {3}categorical \[0\.5,0\.9\] {2}when optimizer = "sgd"\n/);
  });

  it('random search draws only what is active, with each branch taken', () => {
    const { spec } = parseSpecText(file(ARCH), 'sweep.yaml');
    const random = new RandomSampler(spec.parameters, 3);
    const draws = Array.from({ length: 200 }, (_, i) => activeParams(random.sample(i), spec.conditions));
    assert.ok(draws.every((c) => ('units_2' in c) === (c['layers'] === 2) && ('momentum' in c) === (c['optimizer'] === 'sgd')));
    assert.ok(draws.some((c) => 'momentum' in c) && draws.some((c) => !('momentum' in c)));
  });

  it('the TPE with conditions beats random and is at least as good as on the flat space (median best of 10 seeds × 80 trials)', () => {
    const space: Record<string, Distribution> = {
      kind: { type: 'categorical', values: ['a', 'b'] },
      x: { type: 'uniform', min: 0, max: 1 },
      y: { type: 'uniform', min: -1, max: 1 },
      z: { type: 'uniform', min: 0, max: 1 },
    };
    const conditions: Conditions = { x: { kind: { values: ['a'] } }, y: { kind: { values: ['b'] } }, z: { kind: { values: ['b'] } } };
    // Branch a: one dimension, optimum 0.05; branch b: two dimensions, optimum 0.
    const f = (p: Params): number => (p['kind'] === 'a' ? 0.05 + ((p['x'] as number) - 0.3) ** 2 : ((p['y'] as number) - 0.5) ** 2 + ((p['z'] as number) - 0.8) ** 2);
    const best = (next: (i: number, history: TrialRecord[]) => Params, keep: (p: Params) => Params): number => {
      const history: TrialRecord[] = [];
      let lowest = Infinity;
      for (let i = 0; i < 80; i++) {
        const params = keep(next(i, history));
        const value = f(params);
        lowest = Math.min(lowest, value);
        history.push({ id: i + 1, sweepId: 1, number: i, configIndex: i, state: 'complete', params, distributions: {}, value, metrics: { value }, seed: i, backend: null, startedAt: null, endedAt: null, error: null });
      }
      return lowest;
    };
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const seeds = Array.from({ length: 10 }, (_, i) => i + 1);
    const settings = { ...TPE_DEFAULTS, multivariate: true };
    const conditional = median(seeds.map((s) => { const t = new TpeSampler(space, 'minimize', s, settings); return best((i, h) => t.sample(i, h), (p) => activeParams(p, conditions)); }));
    const flat = median(seeds.map((s) => { const t = new TpeSampler(space, 'minimize', s, settings); return best((i, h) => t.sample(i, h), (p) => p); }));
    const random = median(seeds.map((s) => { const r = new RandomSampler(space, s); return best((i) => r.sample(i), (p) => activeParams(p, conditions)); }));
    if (process.env.TFSWEEP_TEST_VERBOSE) console.log(`median best: conditional TPE ${conditional}, flat TPE ${flat}, random ${random}`);
    assert.ok(conditional < random, `conditional TPE ${conditional} against random ${random}`);
    assert.ok(conditional <= flat * 1.05, `conditional TPE ${conditional} against flat TPE ${flat}`);
  });
});
