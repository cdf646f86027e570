/** Histories for the sampler tests: trial records, and a sequential search of a function. */
import type { Params } from '../../src/space/distributions.js';
import type { TrialRecord } from '../../src/storage/storage.js';

export function record(number: number, params: Params, value: number | null, state: TrialRecord['state'] = 'complete'): TrialRecord {
  return { id: number + 1, sweepId: 1, number, configIndex: number, state, params, distributions: {}, value, metrics: null, seed: 0, backend: null, startedAt: null, endedAt: null, error: null };
}

/** Runs `n` sequential trials of `f` with a sampler; returns the best value. */
export function optimize(sample: (i: number, h: TrialRecord[]) => Params | null, f: (p: Params) => number, n: number): { best: number; history: TrialRecord[] } {
  const history: TrialRecord[] = [];
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const p = sample(i, history)!;
    const v = f(p);
    best = Math.min(best, v);
    history.push(record(i, p, v));
  }
  return { best, history };
}
