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
import { SAMPLERS } from '../samplers/registry.js';

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

/**
 * The fresh spec less the settings a newer version added to a sampler's block (`bayes.sampler`), where the
 * stored block lacks them and the file leaves them at their defaults: the stored sweep ran without them, so
 * resuming it must neither look like a changed definition nor change its search (the plug-in reads an absent
 * key as the behaviour of the version that stored the sweep).
 */
function withoutNewDefaults(stored: SweepSpec, fresh: SweepSpec): SweepSpec {
  const out = { ...fresh } as unknown as Record<string, unknown>;
  const old = stored as unknown as Record<string, unknown>;
  for (const plugin of SAMPLERS) {
    const before = old[plugin.method];
    const now = out[plugin.method];
    if (!plugin.keys || !before || !now || typeof before !== 'object' || typeof now !== 'object') continue;
    const defaults = plugin.resolve(undefined) as unknown as Record<string, unknown>;
    out[plugin.method] = Object.fromEntries(Object.entries(now).filter(([k, v]) => k in before || !isDeepStrictEqual(v, defaults[k])));
  }
  return out as unknown as SweepSpec;
}

/** The spec to resume with (the stored seed when the file has none), or a UsageError saying what differs. */
export function resumableSpec(stored: SweepRecord, file: SweepSpec): SweepSpec {
  const fresh = withoutNewDefaults(sweepSpecOf(stored), file);
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
