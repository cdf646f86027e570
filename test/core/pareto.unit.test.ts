import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dominates, hypervolume, hypervolumeContributions, nonDominatedRanks, paretoFront, referencePointOf, selectByHypervolume } from '../../src/core/pareto.js';
import { objectivesOf, violation } from '../../src/core/metric.js';
import { paretoTrials, rankTrials } from '../../src/core/records.js';
import { createRng } from '../../src/space/rng.js';
import type { TrialRecord } from '../../src/core/records.js';

/** The hypervolume by brute force: the share of a fine grid of the box [0, ref] that some point dominates. */
function gridVolume(points: number[][], ref: number[], steps = 40): number {
  const d = ref.length;
  const cell = ref.map((r) => r / steps);
  let count = 0;
  const idx = Array<number>(d).fill(0);
  for (;;) {
    const x = idx.map((i, k) => (i + 0.5) * cell[k]!);
    if (points.some((p) => p.every((v, k) => v <= x[k]!))) count++;
    let k = 0;
    while (k < d && ++idx[k]! === steps) idx[k++] = 0;
    if (k === d) break;
  }
  return (count * cell.reduce((a, b) => a * b, 1));
}

function trial(number: number, metrics: Record<string, number>, state: TrialRecord['state'] = 'complete'): TrialRecord {
  return { id: number + 1, sweepId: 1, number, configIndex: number, state, params: {}, distributions: {}, value: Object.values(metrics)[0] ?? null, metrics, seed: 0, backend: null, startedAt: null, endedAt: null, error: null };
}

describe('Pareto dominance and hypervolume', () => {
  it('dominance is strict on one coordinate and weak on the others', () => {
    assert.equal(dominates([1, 2], [2, 2]), true);
    assert.equal(dominates([1, 2], [1, 2]), false);
    assert.equal(dominates([1, 3], [2, 2]), false);
  });

  it('ranks points by non-domination front', () => {
    const points = [[1, 5], [2, 2], [5, 1], [3, 3], [4, 4], [6, 6], [2, 2]];
    assert.deepEqual(nonDominatedRanks(points), [0, 0, 0, 1, 2, 3, 0]);
    assert.deepEqual(paretoFront(points), [0, 1, 2, 6]);
  });

  it('computes exact hypervolumes in 2 and 3 dimensions', () => {
    assert.equal(hypervolume([[1, 2], [2, 1]], [3, 3]), 3);
    assert.equal(hypervolume([[1, 2], [2, 1], [2.5, 2.5]], [3, 3]), 3, 'a dominated point adds nothing');
    assert.equal(hypervolume([[4, 0]], [3, 3]), 0, 'a point outside the reference adds nothing');
    assert.equal(hypervolume([[0, 0, 0]], [1, 2, 3]), 6);
    // Two boxes overlapping in [0.5, 1]³ minus: inclusion-exclusion.
    assert.ok(Math.abs(hypervolume([[0, 0.5, 0.5], [0.5, 0, 0]], [1, 1, 1]) - (0.25 + 0.5 - 0.125)) < 1e-12);
    const rng = createRng(7);
    for (let round = 0; round < 3; round++) {
      const points = Array.from({ length: 12 }, () => [rng(), rng(), rng()]);
      const exact = hypervolume(points, [1, 1, 1]);
      assert.ok(Math.abs(exact - gridVolume(points, [1, 1, 1])) < 0.03, `${exact} against the grid's ${gridVolume(points, [1, 1, 1])}`);
    }
  });

  it('contributions, the reference point and greedy subset selection follow their definitions', () => {
    const points = [[1, 3], [2, 2], [3, 1]];
    assert.deepEqual(hypervolumeContributions(points, [4, 4]), [1, 1, 1]);
    assert.deepEqual(referencePointOf([[1, -2], [0, -4]]), [1.1, -1.8]);
    // From the front's three, the first pick adds the most volume alone, the second the most beside it.
    assert.deepEqual(selectByHypervolume([[0, 3], [1, 1], [3, 0]], 2, [4, 4]), [1, 0]);
  });
});

describe('ranking with objectives and constraints', () => {
  const objectives = objectivesOf({ metric: { name: 'acc', goal: 'maximize' }, metrics: [{ name: 'acc', goal: 'maximize' }, { name: 'params', goal: 'minimize' }], constraints: [{ name: 'ms', max: 2 }] });
  const trials = [
    trial(0, { acc: 0.9, params: 100, ms: 1 }),
    trial(1, { acc: 0.8, params: 50, ms: 1 }),
    trial(2, { acc: 0.85, params: 120, ms: 1 }), // dominated by 0
    trial(3, { acc: 0.99, params: 10, ms: 5 }), // would dominate all, breaks ms ≤ 2
    trial(4, { acc: 0.95, params: 500, ms: 2 }),
    trial(5, { acc: 0.97, params: 1 }, 'failed'),
  ];

  it('the front holds the complete trials that meet the constraints and that none of them dominates', () => {
    assert.deepEqual(paretoTrials(objectives, trials).map((t) => t.number), [4, 0, 1]);
    assert.deepEqual(rankTrials(objectives, trials).map((r) => [r.trial.number, r.front]), [[4, 0], [0, 0], [1, 0], [2, 1]]);
  });

  it('one objective with constraints ranks only the trials that meet them', () => {
    const one = objectivesOf({ metric: { name: 'acc', goal: 'maximize' }, constraints: [{ name: 'ms', max: 2 }] });
    assert.deepEqual(rankTrials(one, trials).map((r) => r.trial.number), [4, 0, 2, 1]);
    assert.equal(violation(one.constraints, { ms: 5 }), 3);
    assert.equal(violation([{ name: 'ms', min: 1, max: 2 }], { ms: 0.5 }), 0.5);
    assert.equal(violation(one.constraints, { acc: 1 }), Infinity, 'a missing constrained metric is never feasible');
  });
});
