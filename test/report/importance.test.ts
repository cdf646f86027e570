/** PED-ANOVA importance on synthetic objectives where the answer is known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialRecord } from '../../src/core/records.js';
import { parameterImportance } from '../../src/report/importance.js';
import type { Distribution, Params } from '../../src/space/distributions.js';
import { createRng } from '../../src/space/rng.js';

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

  it('with two trials or fewer, or only pruned and failed ones, says nothing is known: equal shares', () => {
    const few = parameterImportance(trialsOf((p) => p.x as number, 2, 1), space, 'minimize');
    assert.deepEqual(few.importances, { x: 0.25, y: 0.25, z: 0.25, opt: 0.25, fixed: 0 });
    const pruned = trialsOf((p) => p.x as number, 30, 1).map((t) => ({ ...t, state: 'pruned' as const }));
    assert.equal(parameterImportance(pruned, space, 'minimize').trials, 0);
  });
});

describe('tfsweep importance', () => {
  it('on a real sweep: the parameter that decides the objective first, the irrelevant one last; --json for scripts', async () => {
    const { cli, tempDir, writeFile } = await import('../helpers.js');
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
