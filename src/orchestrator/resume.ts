/**
 * Deciding whether a sweep file may resume the sweep of the same name stored in the database, and what is
 * left to do. A sweep's identity is its validated spec, less what may change between runs (workers) and the
 * seed when the file left it to be drawn.
 */
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../errors.js';
import type { SweepSpec } from '../sweep-file/types.js';
import type { SweepRecord } from '../core/records.js';
import { sweepSpecOf } from '../sweep-file/stored.js';

/**
 * Budgets (max_time, metric.target) may change between runs like workers; a sweep stored before pruners
 * existed has no pruner, the same as `pruner: {type: none}`.
 */
function identity(spec: SweepSpec, seed: number): Record<string, unknown> {
  const { workers: _workers, seed_given: _given, seed: _seed, description: _description, max_time: _maxTime, pruner, metric, ...rest } = spec;
  const { target: _target, ...judged } = metric;
  // A setting that is null is the same as one a sweep stored before it existed: a sampler registered since
  // adds its (null) settings block to every new spec, and must not make older sweeps look changed.
  const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  return { ...set, metric: judged, pruner: pruner && pruner.type !== 'none' ? pruner : null, seed };
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
