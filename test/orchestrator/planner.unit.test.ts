/** The planner and the tally: what runs next and when a sweep is done, as pure functions of the claim view. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimView } from '../../src/core/records.js';
import type { Distribution, Params } from '../../src/core/params.js';
import { planNext, type PlanInput } from '../../src/orchestrator/planner.js';
import { Tally } from '../../src/orchestrator/tally.js';
import { GridSampler } from '../../src/samplers/grid.js';
import { deriveSeed } from '../../src/space/rng.js';

const parameters: Record<string, Distribution> = { x: { type: 'categorical', values: [1, 2, 3] } };
const view = (over: Partial<ClaimView> = {}): ClaimView => ({ completed: 0, minValue: null, maxValue: null, runningConfigs: [], reruns: [], nextIndex: 0, outside: 0, history: null, ...over });
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  view: view(),
  sampler: new GridSampler(parameters),
  metric: { name: 'value', goal: 'minimize' },
  parameters,
  seed: 9,
  planned: 3,
  exhausted: false,
  ...over,
});

describe('planner', () => {
  it("runs the sampler's configuration at the next index, with the configuration's seed and distributions", () => {
    const plan = planNext(input({ view: view({ nextIndex: 1 }) }));
    assert.deepEqual(plan, { kind: 'run', again: null, trial: { configIndex: 1, params: { x: 2 }, distributions: { x: parameters.x }, seed: deriveSeed(9, 'trial', 1) } });
  });

  it('claims an existing trial again first (the view lists resumptions, then retries, then the enqueued)', () => {
    const params: Params = { x: 3 };
    const again = { trialId: 7, configIndex: 0, params, kind: 'resume' as const };
    const plan = planNext(input({ view: view({ nextIndex: 2, reruns: [again, { trialId: 9, configIndex: -1, params, kind: 'queued' }] }) }));
    assert.deepEqual(plan, { kind: 'run', again });
  });

  it('a grid without run_cap runs enqueued trials on top of its own; run_cap counts them', () => {
    // 3 grid points, 2 enqueued (outside the sampler's sequence): 2 complete, 2 running.
    const busy = view({ completed: 2, runningConfigs: [0, -1], nextIndex: 1, outside: 2 });
    assert.equal(planNext(input({ planned: 3, gridCap: true, view: busy })).kind, 'run');
    assert.deepEqual(planNext(input({ planned: 3, gridCap: false, view: busy })), { kind: 'none' });
  });

  it('starts nothing when the complete and running trials already make the cap', () => {
    assert.deepEqual(planNext(input({ planned: 3, view: view({ completed: 2, runningConfigs: [2], nextIndex: 3 }) })), { kind: 'none' });
    assert.equal(planNext(input({ planned: 4, view: view({ completed: 2, runningConfigs: [2], nextIndex: 3 }) })).kind, 'exhausted');
  });

  it('starts nothing once a trial reached metric.target (another process may have got there)', () => {
    const metric = { name: 'value', goal: 'minimize' as const, target: 0.1 };
    assert.deepEqual(planNext(input({ metric, view: view({ completed: 1, minValue: 0.05, maxValue: 0.05, nextIndex: 1 }) })), { kind: 'none' });
    assert.equal(planNext(input({ metric, view: view({ completed: 1, minValue: 0.2, maxValue: 0.2, nextIndex: 1 }) })).kind, 'run');
  });

  it('says the space is exhausted past the grid, and after that only re-runs start', () => {
    assert.deepEqual(planNext(input({ planned: null, view: view({ nextIndex: 3 }) })), { kind: 'exhausted' });
    assert.deepEqual(planNext(input({ planned: null, exhausted: true, view: view({ nextIndex: 3 }) })), { kind: 'none' });
    assert.equal(planNext(input({ planned: null, exhausted: true, view: view({ nextIndex: 3, reruns: [{ trialId: 2, configIndex: 1, params: { x: 2 }, kind: 'resume' }] }) })).kind, 'run');
  });
});

describe('tally', () => {
  it('counts its own results between reads and knows the best and when the sweep is done', () => {
    const tally = new Tally({ name: 'value', goal: 'maximize', target: 0.9 }, 3);
    tally.absorb(view({ completed: 1, minValue: 0.4, maxValue: 0.4, runningConfigs: [1] }));
    tally.claimed(false);
    assert.equal(tally.running, 2);
    tally.settled({ state: 'complete', value: 0.6, metrics: null, error: null, endedAt: null, prunedStep: null });
    assert.deepEqual([tally.completed, tally.running, tally.best], [2, 1, 0.6]);
    tally.settled({ state: 'failed', value: null, metrics: null, error: 'x', endedAt: null, prunedStep: null });
    assert.equal(tally.failed, 1);
    assert.equal(tally.done, false);
    tally.claimed(false);
    tally.settled({ state: 'pruned', value: 0.2, metrics: null, error: null, endedAt: null, prunedStep: 1 });
    assert.deepEqual([tally.completed, tally.pruned, tally.best], [3, 1, 0.6], 'a pruned value is never the best');
    assert.equal(tally.done, true, 'run_cap met');
    assert.equal(tally.finishedMessage(), '2 trial(s) complete, 1 pruned, 1 failed');
  });

  it('is done at metric.target, and says so', () => {
    const tally = new Tally({ name: 'value', goal: 'maximize', target: 0.9 }, null);
    tally.claimed(false);
    tally.settled({ state: 'complete', value: 0.95, metrics: null, error: null, endedAt: null, prunedStep: null });
    assert.equal(tally.done, true);
    assert.equal(tally.finishedMessage(), 'metric.target 0.9 reached (best 0.95); 1 trial(s) complete');
  });

  it('an exhausted space is done only when nothing runs and nothing waits to run again', () => {
    const tally = new Tally({ name: 'value', goal: 'minimize' }, null);
    tally.exhausted = true;
    tally.absorb(view({ runningConfigs: [4], reruns: [] }));
    assert.equal(tally.done, false);
    tally.absorb(view({ runningConfigs: [], reruns: [{ trialId: 2, configIndex: 1, params: {}, kind: 'retry' }] }));
    assert.equal(tally.done, false);
    tally.absorb(view());
    assert.equal(tally.done, true);
  });
});
