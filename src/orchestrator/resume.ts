/**
 * Deciding whether a sweep file may resume the sweep of the same name stored in the database, and what is
 * left to do. A sweep's identity is its validated spec, less what may change between runs (workers) and the
 * seed when the file left it to be drawn.
 */
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../errors.js';
import type { Params } from '../space/distributions.js';
import type { SweepSpec } from '../sweep-file/types.js';
import type { SweepRecord, TrialRecord } from '../core/records.js';
import { sweepSpecOf } from '../sweep-file/stored.js';

/**
 * Budgets (max_time, metric.target) may change between runs like workers; a sweep stored before pruners
 * existed has no pruner, the same as `pruner: {type: none}`.
 */
function identity(spec: SweepSpec, seed: number): Record<string, unknown> {
  const { workers: _workers, seed_given: _given, seed: _seed, description: _description, max_time: _maxTime, pruner, metric, ...rest } = spec;
  const { target: _target, ...judged } = metric;
  return { ...rest, metric: judged, pruner: pruner && pruner.type !== 'none' ? pruner : null, seed };
}

/** The spec to resume with (the stored seed when the file has none), or a UsageError saying what differs. */
export function resumableSpec(stored: SweepRecord, fresh: SweepSpec): SweepSpec {
  const seed = fresh.seed_given ? fresh.seed : sweepSpecOf(stored).seed;
  const a = identity(sweepSpecOf(stored), sweepSpecOf(stored).seed);
  const b = identity(fresh, seed);
  if (!isDeepStrictEqual(a, b)) {
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDeepStrictEqual(a[k], b[k]));
    throw new UsageError(
      `sweep "${fresh.name}" already exists in the database with a different definition (${fields.join(', ')} changed); ` +
        'give the changed sweep a new name, or restore the file',
    );
  }
  return { ...fresh, seed, seed_given: fresh.seed_given || sweepSpecOf(stored).seed_given };
}

export interface ResumePlan {
  completed: number;
  /** Configurations whose every trial was interrupted: they run again first, with their stored params. */
  reruns: Array<{ configIndex: number; params: Params }>;
  /** The next configuration index to ask the sampler for. */
  nextIndex: number;
}

export function planFromHistory(trials: readonly TrialRecord[]): ResumePlan {
  const settled = new Set<number>();
  for (const t of trials) if (t.state === 'complete' || t.state === 'pruned' || t.state === 'failed') settled.add(t.configIndex);
  const reruns: ResumePlan['reruns'] = [];
  const seen = new Set<number>();
  for (const t of trials) {
    if (t.state === 'interrupted' && !settled.has(t.configIndex) && !seen.has(t.configIndex)) {
      seen.add(t.configIndex);
      reruns.push({ configIndex: t.configIndex, params: t.params });
    }
  }
  return {
    completed: trials.filter((t) => t.state === 'complete' || t.state === 'pruned').length,
    reruns,
    nextIndex: trials.reduce((max, t) => Math.max(max, t.configIndex + 1), 0),
  };
}
