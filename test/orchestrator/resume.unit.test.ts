import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { resumableSpec } from '../../src/orchestrator/resume.js';
import { claimViewOf } from '../../src/core/records.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import type { SweepRecord, TrialRecord, TrialState } from '../../src/storage/storage.js';

function trial(number: number, configIndex: number, state: TrialState): TrialRecord {
  return {
    id: number + 1,
    sweepId: 1,
    number,
    configIndex,
    state,
    params: { units: configIndex },
    distributions: {},
    value: state === 'complete' ? 0.5 : null,
    metrics: null,
    seed: 0,
    backend: null,
    startedAt: null,
    endedAt: null,
    error: null,
  };
}

describe('resume planning (the claim view of the stored history)', () => {
  it('resumes interrupted configurations first (the latest trial of each), and continues numbering configurations', () => {
    const plan = claimViewOf([
      trial(0, 0, 'complete'),
      trial(1, 1, 'interrupted'),
      trial(2, 2, 'failed'),
      trial(3, 3, 'interrupted'),
      trial(4, 1, 'interrupted'),
      trial(5, 4, 'complete'),
    ]);
    assert.equal(plan.completed, 2);
    assert.deepEqual(plan.reruns, [
      { trialId: 5, configIndex: 1, params: { units: 1 }, kind: 'resume' },
      { trialId: 4, configIndex: 3, params: { units: 3 }, kind: 'resume' },
    ]);
    assert.equal(plan.nextIndex, 5);
  });

  it('does not re-run a configuration that later completed', () => {
    const plan = claimViewOf([trial(0, 0, 'interrupted'), trial(1, 0, 'complete')]);
    assert.deepEqual(plan.reruns, []);
    assert.equal(plan.nextIndex, 1);
  });

  it('starts from scratch on an empty history', () => {
    const plan = claimViewOf([]);
    assert.deepEqual([plan.completed, plan.reruns, plan.nextIndex], [0, [], 0]);
  });
});

describe('resuming a stored sweep', () => {
  const text = 'name: r\nmethod: random\nrun_cap: 4\nparameters:\n  units: {values: [8, 16]}\n';
  const stored = (spec = parseSpecText(text, 'r.yaml').spec): SweepRecord => ({
    id: 1,
    name: 'r',
    method: 'random',
    metric: spec.metric,
    state: 'running',
    source: text,
    spec,
    message: null,
    createdAt: '',
    updatedAt: '',
    finishedAt: null,
  });

  it('keeps the recorded seed when the file leaves it to be drawn', () => {
    const first = stored();
    const again = parseSpecText(text, 'r.yaml').spec;
    assert.notEqual(again.seed, first.spec.seed);
    assert.equal(resumableSpec(first, again).seed, first.spec.seed);
  });

  it('allows a different worker count', () => {
    const first = stored();
    const again = parseSpecText(`${text}workers: 3\n`, 'r.yaml').spec;
    assert.equal(resumableSpec(first, again).workers, 3);
  });

  it('refuses a changed definition, naming what changed', () => {
    const first = stored();
    const changed = parseSpecText(text.replace('run_cap: 4', 'run_cap: 5'), 'r.yaml').spec;
    assert.throws(() => resumableSpec(first, changed), (err: unknown) => err instanceof UsageError && /\(run_cap changed\)/.test(err.message));
  });

  it('resumes a bayes sweep stored before its block had sampler and min_step_bandwidth, and keeps its TPE', () => {
    const bayesText = text.replace(/method: \w+/, 'method: bayes');
    const fresh = parseSpecText(bayesText, 'r.yaml').spec;
    const { sampler: _sampler, min_step_bandwidth: _floor, n_candidates: _candidates, ...olderBlock } = fresh.bayes!;
    const first = stored({ ...fresh, bayes: olderBlock as typeof fresh.bayes });
    const resumed = resumableSpec(first, parseSpecText(bayesText, 'r.yaml').spec);
    assert.equal(resumed.bayes!.sampler, undefined);
    assert.equal(resumed.bayes!.min_step_bandwidth, undefined);
    // A file that now asks for another sampler is a changed definition.
    const changed = parseSpecText(bayesText.replace('method: bayes', 'method: bayes\nbayes: {sampler: gp}'), 'r.yaml').spec;
    assert.throws(() => resumableSpec(first, changed), (err: unknown) => err instanceof UsageError && /\(bayes changed\)/.test(err.message));
  });

  it('resumes a sweep stored before a settings block existed (absent there, null now)', () => {
    const { bayes: _bayes, ...older } = parseSpecText(text, 'r.yaml').spec;
    const first = stored(older as typeof older & { bayes?: null });
    const again = parseSpecText(text, 'r.yaml').spec;
    assert.equal(again.bayes, null);
    assert.equal(resumableSpec(first, again).seed, first.spec.seed);
  });
});
