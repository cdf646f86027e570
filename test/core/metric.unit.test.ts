import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bestOfRange, bestValue, compareValues, isAtLeast, isBetter, metricValue, rankBy, targetReached } from '../../src/core/metric.js';
import { bestFirst, claimViewOf, type TrialRecord } from '../../src/core/records.js';

describe('the metric and its goal', () => {
  it('says which value is better, strictly, and which is at least as good', () => {
    assert.equal(isBetter('maximize', 0.9, 0.8), true);
    assert.equal(isBetter('maximize', 0.8, 0.8), false);
    assert.equal(isBetter('minimize', 0.1, 0.2), true);
    assert.equal(isAtLeast('minimize', 0.2, 0.2), true);
    assert.equal(isAtLeast('minimize', 0.3, 0.2), false);
    assert.deepEqual([3, 1, 2].sort((a, b) => compareValues('maximize', a, b)), [3, 2, 1]);
    assert.deepEqual([3, 1, 2].sort((a, b) => compareValues('minimize', a, b)), [1, 2, 3]);
  });

  it('finds the best value, never NaN, and the best end of a range', () => {
    assert.equal(bestValue('maximize', [0.2, NaN, 0.7, 0.5]), 0.7);
    assert.equal(bestValue('minimize', [NaN, 0.2, -1]), -1);
    assert.equal(bestValue('minimize', [NaN]), null);
    assert.equal(bestOfRange('maximize', { minValue: 1, maxValue: 4 }), 4);
    assert.equal(bestOfRange('minimize', { minValue: 1, maxValue: 4 }), 1);
  });

  it('reaches metric.target at or beyond it, by the goal; never without a target or a value', () => {
    assert.equal(targetReached({ name: 'a', goal: 'maximize', target: 0.9 }, 0.9), true);
    assert.equal(targetReached({ name: 'a', goal: 'maximize', target: 0.9 }, 0.89), false);
    assert.equal(targetReached({ name: 'l', goal: 'minimize', target: 0.1 }, 0.05), true);
    assert.equal(targetReached({ name: 'l', goal: 'minimize' }, 0.05), false);
    assert.equal(targetReached({ name: 'l', goal: 'minimize', target: 0.1 }, null), false);
  });

  it('reads the metric only as a finite number', () => {
    assert.equal(metricValue({ name: 'acc' }, { acc: 0.5, loss: 2 }), 0.5);
    assert.equal(metricValue({ name: 'acc' }, { acc: NaN }), null);
    assert.equal(metricValue({ name: 'acc' }, { acc: Infinity }), null);
    assert.equal(metricValue({ name: 'acc' }, { loss: 1 }), null);
    assert.equal(metricValue({ name: 'acc' }, null), null);
  });

  it('ranks items with a value, best first, ties in order', () => {
    const items = [
      { n: 0, v: 0.5 },
      { n: 1, v: null },
      { n: 2, v: 0.9 },
      { n: 3, v: 0.5 },
    ];
    assert.deepEqual(rankBy('maximize', items, (i) => i.v, (i) => i.n).map((i) => i.n), [2, 0, 3]);
    assert.deepEqual(rankBy('minimize', items, (i) => i.v, (i) => i.n).map((i) => i.n), [0, 3, 2]);
  });
});

function trial(number: number, state: TrialRecord['state'], value: number | null, configIndex = number): TrialRecord {
  return { id: number + 1, sweepId: 1, number, configIndex, state, params: { x: configIndex }, distributions: {}, value, metrics: null, seed: 0, backend: null, startedAt: null, endedAt: null, error: null };
}

describe('records', () => {
  it('ranks complete trials only, best first, earlier trial first on a tie', () => {
    const trials = [trial(0, 'complete', 0.5), trial(1, 'pruned', 0.99), trial(2, 'complete', 0.7), trial(3, 'failed', null), trial(4, 'complete', 0.7)];
    assert.deepEqual(bestFirst('maximize', trials).map((t) => t.number), [2, 4, 0]);
  });

  it('computes the claim view: finished count, value range, running configurations, one re-run per all-interrupted configuration', () => {
    const view = claimViewOf([
      trial(0, 'complete', 0.5, 0),
      trial(1, 'pruned', 0.1, 1),
      trial(2, 'interrupted', null, 2),
      trial(3, 'interrupted', null, 2),
      trial(4, 'interrupted', null, 3),
      trial(5, 'running', null, 3),
      trial(6, 'interrupted', null, 4),
      trial(7, 'failed', null, 4),
    ]);
    assert.equal(view.completed, 2);
    assert.deepEqual([view.minValue, view.maxValue], [0.5, 0.5]);
    assert.deepEqual(view.runningConfigs, [3]);
    // The latest interrupted trial of configuration 2 resumes (3 runs, 4 has a failure).
    assert.deepEqual(view.reruns, [{ trialId: 4, configIndex: 2, params: { x: 2 }, kind: 'resume' }]);
    const retries = claimViewOf([trial(0, 'failed', null, 0), trial(1, 'failed', null, 1), trial(2, 'queued', null, -1)], 2);
    assert.deepEqual(retries.reruns.map((r) => [r.trialId, r.kind]), [[1, 'retry'], [2, 'retry'], [3, 'queued']]);
    assert.deepEqual([retries.nextIndex, retries.outside], [2, 1]);
    assert.equal(view.nextIndex, 5);
  });
});
