/**
 * The contract every registered pruner keeps (walked from the registry): a pure function of the stored
 * curves (same curves, same verdict, whatever their order; nothing read but its arguments, nothing written to
 * them; a pruner built anew, as after a resume or in another process, decides the same), and the edge cases
 * every one of Optuna's pruners shares: nothing is stopped before it has reported a step, and a trial with no
 * peers is judged against nothing (only ThresholdPruner, which compares with fixed bounds, stops it). Each
 * pruner's own edge cases (warm-up, startup trials, NaN values, rungs) are in pruners.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Curve, PruneContext } from '../../src/pruners/pruner.js';
import type { AnyPrunerPlugin } from '../../src/pruners/plugin.js';
import { PRUNERS } from '../../src/pruners/registry.js';
import { createRng } from '../../src/space/rng.js';
import { validateSpec } from '../../src/sweep-file/validate.js';

const context: PruneContext = { goal: 'maximize', sweepName: 'contract', lastStep: 7 };

/**
 * `n` learning curves of 8 steps from a fixed seed, some still running: most rise to different heights, some
 * rise and then fall back (overfitting), some stay flat, as real ones do.
 */
function curves(n: number, seed: number): Curve[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, number) => {
    const height = rng();
    const length = number % 3 === 0 ? 1 + Math.floor(rng() * 8) : 8;
    const shape = number % 5;
    const at = (s: number): number => (shape === 1 ? height * (1 - Math.abs(s - 2) / 8) : shape === 4 ? height / 2 : height * (1 - Math.exp(-(s + 1) / 3)));
    return {
      number,
      state: length === 8 ? 'complete' : 'running',
      steps: Array.from({ length }, (_, s) => s),
      values: Array.from({ length }, (_, s) => at(s)),
    } satisfies Curve;
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

const judged = (PRUNERS as readonly AnyPrunerPlugin[]).filter((p) => p.create(p.resolve(p.example), context) !== null);

for (const plugin of judged) {
  describe(`pruner contract: ${plugin.type}`, () => {
    const make = () => plugin.create(plugin.resolve(plugin.example), context)!;

    it('decides from the curves alone: same verdicts in any order, by a fresh pruner, with frozen inputs', () => {
      let stopped = 0;
      for (const seed of [1, 2, 3, 4]) {
        const all = deepFreeze(curves(30, seed));
        const shuffled = [...all].reverse();
        const first = make();
        for (const trial of all.filter((t) => t.state === 'running')) {
          const verdict = first.prune(trial, all);
          assert.equal(typeof verdict, 'boolean');
          assert.equal(first.prune(trial, all), verdict, 'asked twice');
          assert.equal(make().prune(trial, shuffled), verdict, 'a fresh pruner, peers in another order');
          if (verdict) stopped++;
        }
      }
      assert.ok(stopped > 0, 'the example settings stop some of these trials (else this contract proves nothing)');
    });

    it('stops nothing that has not reported a step', () => {
      const all = curves(30, 9);
      const fresh: Curve = { number: 99, state: 'running', steps: [], values: [] };
      assert.equal(make().prune(fresh, [...all, fresh]), false);
    });

    it('stops no trial that has no peers, unless it judges values alone (threshold)', () => {
      const low: Curve = { number: 0, state: 'running', steps: [0, 1, 2, 3, 4, 5], values: [0, 0, 0.01, 0.01, 0.02, 0.02] };
      assert.equal(make().prune(low, [low]), plugin.type === 'threshold');
    });

    it('is a setting of a sweep file: its example validates and resolves to the same settings', () => {
      const block = plugin.alias ? { early_terminate: { type: plugin.alias.type, ...plugin.example } } : { pruner: { type: plugin.type, ...plugin.example } };
      const spec = validateSpec({ method: 'random', run_cap: 3, program: 'o.mjs', parameters: { x: { min: 0, max: 1 } }, ...block }, { defaultName: 'p', resolveProgram: (p) => p });
      assert.deepEqual(spec.pruner, { type: plugin.type, ...plugin.resolve(plugin.example) });
    });
  });
}

describe('pruner registry', () => {
  it('types are unique, described, and every block key belongs to a registered plug-in', () => {
    const types = (PRUNERS as readonly AnyPrunerPlugin[]).map((p) => p.type);
    assert.equal(new Set(types).size, types.length);
    for (const p of PRUNERS as readonly AnyPrunerPlugin[]) assert.ok(p.description.length > 10, p.type);
    assert.ok(types.includes('none'));
    assert.throws(
      () => validateSpec({ method: 'random', run_cap: 3, program: 'o.mjs', parameters: { x: { min: 0, max: 1 } }, pruner: { type: 'median', reduction_factor: 3 } }, { defaultName: 'p', resolveProgram: (p) => p }),
      /does not apply to the median pruner \(it is a setting of successive_halving, hyperband\)/,
    );
  });
});
