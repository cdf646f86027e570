/** PED-ANOVA importance on synthetic objectives where the answer is known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialRecord } from '../../src/core/records.js';
import { parameterImportance } from '../../src/report/importance.js';
import type { Distribution, Params } from '../../src/space/distributions.js';
import { createRng } from '../../src/space/rng.js';
import { cli, tempDir, writeFile } from '../helpers.js';

const space: Record<string, Distribution> = {
  x: { type: 'uniform', min: 0, max: 1 },
  y: { type: 'log_uniform_values', min: 1e-4, max: 1 },
  z: { type: 'uniform', min: -5, max: 5 },
  opt: { type: 'categorical', values: ['adam', 'sgd', 'rmsprop'] },
  fixed: { type: 'constant', value: 3 },
};

function trialsOf(f: (p: Params) => number, n: number, seed: number): TrialRecord[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const params: Params = { x: rng(), y: 10 ** (-4 + 4 * rng()), z: -5 + 10 * rng(), opt: ['adam', 'sgd', 'rmsprop'][Math.floor(rng() * 3)]!, fixed: 3 };
    return { id: i + 1, sweepId: 1, number: i, configIndex: i, state: 'complete', params, distributions: space, value: f(params), metrics: null, seed: i, backend: null, startedAt: null, endedAt: null, error: null };
  });
}

describe('parameter importance (PED-ANOVA)', () => {
  it('judges a conditional parameter on the trials that hold it: absent is not a value', () => {
    // z exists only with sgd (a `when:` parameter), where it decides the metric; elsewhere x does, weakly.
    const trials = trialsOf((p) => (p.opt === 'sgd' ? 5 * Math.abs((p.z as number) - 1) : 2 + 0.1 * (p.x as number)), 300, 7).map((t) => {
      if (t.params['opt'] === 'sgd') return t;
      const { z: _z, ...params } = t.params;
      return { ...t, params };
    });
    const result = parameterImportance(trials, space, 'minimize');
    assert.equal(result.trials, 300);
    // z, judged on the sgd trials alone, comes first; counted as a value at the bottom of its range where it is
    // absent, it would look like noise.
    assert.equal(Object.keys(result.importances)[0], 'z', JSON.stringify(result.importances));
    assert.ok(result.importances['z']! > 0.3, JSON.stringify(result.importances));
  });

  it('puts the dominant parameter first and the irrelevant one near zero, over several seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      // x decides almost everything; y very little (on its log scale); z, opt and the constant nothing.
      const result = parameterImportance(trialsOf((p) => 10 * ((p.x as number) - 0.3) ** 2 + 0.01 * Math.abs(Math.log10(p.y as number) + 2), 200, seed), space, 'minimize');
      const imp = result.importances;
      assert.equal(Object.keys(imp)[0], 'x', JSON.stringify(imp));
      assert.ok(imp.x! > 0.5, JSON.stringify(imp));
      assert.ok(imp.z! < 0.15, JSON.stringify(imp));
      assert.equal(imp.fixed, 0);
      assert.ok(Math.abs(Object.values(imp).reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.equal(result.trials, 200);
      assert.equal(result.topTrials, 20);
    }
  });

  it('finds a categorical that matters, whatever the goal', () => {
    // Ties count as top trials (Optuna's filter keeps every trial as good as the cut): all non-sgd, or all sgd.
    const f = (p: Params) => (p.opt === 'sgd' ? 1 : 0);
    const max = parameterImportance(trialsOf(f, 120, 9), space, 'maximize');
    assert.equal(Object.keys(max.importances)[0], 'opt', JSON.stringify(max.importances));
    const min = parameterImportance(trialsOf(f, 120, 9), space, 'minimize');
    assert.equal(Object.keys(min.importances)[0], 'opt', JSON.stringify(min.importances));
  });

  it('E10: with two trials or fewer, or only pruned and failed ones, says nothing is known: no shares, a note', () => {
    const few = parameterImportance(trialsOf((p) => p.x as number, 2, 1), space, 'minimize');
    assert.deepEqual(few.importances, { x: 0, y: 0, z: 0, opt: 0, fixed: 0 });
    assert.equal(few.note, 'needs at least 3 complete trials (2 so far)');
    const pruned = trialsOf((p) => p.x as number, 30, 1).map((t) => ({ ...t, state: 'pruned' as const }));
    assert.equal(parameterImportance(pruned, space, 'minimize').trials, 0);
    assert.match(parameterImportance(pruned, space, 'minimize').note!, /needs at least 3/);
  });

  it('E10: zero-width ranges and one-value categoricals are constants: they get no share', () => {
    const constants: Record<string, Distribution> = {
      ...space,
      zw: { type: 'uniform', min: 0, max: 0 },
      lz: { type: 'log_uniform_values', min: 0.001, max: 0.001 },
      one: { type: 'categorical', values: ['a'] },
    };
    const trials = trialsOf((p) => (p.opt === 'adam' ? 0 : 1), 60, 4).map((t) => ({ ...t, params: { ...t.params, zw: 0, lz: 0.001, one: 'a' } }));
    const result = parameterImportance(trials, constants, 'minimize');
    assert.equal(result.note, null);
    assert.equal(result.importances.zw, 0);
    assert.equal(result.importances.lz, 0);
    assert.equal(result.importances.one, 0);
    assert.equal(Object.keys(result.importances)[0], 'opt', JSON.stringify(result.importances));
  });

  it('E10: when every value is equal, no parameter is said to matter', () => {
    const flat = parameterImportance(trialsOf(() => 1, 40, 2), space, 'minimize');
    assert.ok(Object.values(flat.importances).every((v) => v === 0), JSON.stringify(flat.importances));
    assert.match(flat.note!, /no parameter explains any variation/);
  });
});

describe('tfsweep importance', () => {
  it('on a real sweep: the parameter that decides the objective first, the irrelevant one last; --json for scripts', async () => {

    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async (p) => 10 * (p.x - 0.3) ** 2 + 0.01 * p.y;\n');
    writeFile(dir, 's.yaml', 'name: imp\nmethod: random\nseed: 5\nrun_cap: 80\nworkers: 2\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n  y: {min: 0.0, max: 1.0}\n  noise: {min: -1.0, max: 1.0}\n');
    assert.equal((await cli(['run', 's.yaml', '--db', 'r.db'], dir)).code, 0);
    const json = await cli(['importance', 'imp', '--db', 'r.db', '--json'], dir);
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { importances: Record<string, number>; trials: number; topTrials: number };
    assert.deepEqual(Object.keys(result.importances)[0], 'x');
    assert.ok(result.importances.x! > 0.6 && result.importances.noise! < 0.2, JSON.stringify(result));
    assert.equal(result.trials, 80);
    assert.equal(result.topTrials, 8);
    const table = await cli(['importance', 'imp', '--db', 'r.db'], dir);
    assert.match(table.stdout, /│ x +│ 0\.\d{3} +│ █+/);
    assert.match(table.stdout, /PED-ANOVA over 80 complete trial\(s\), the top 8 against all/);
  });
});

describe('tfsweep importance with too few trials', () => {
  it('E10: the CLI applies the report\'s three-trial rule instead of printing equal shares', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default (p) => p.x;\n');
    writeFile(dir, 'e.yaml', 'name: two\nmethod: random\nrun_cap: 2\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    assert.equal((await cli(['run', 'e.yaml', '--db', 'r.db'], dir)).code, 0);
    const r = await cli(['importance', 'two', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'two: needs at least 3 complete trials (2 so far); no importances yet');
  });
});
