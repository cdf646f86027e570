/**
 * A stored sweep's definition read back whole. Storage keeps the validated SweepSpec as JSON and types it only
 * as far as it needs (core's StoredSpec); every sweep row was written by `Sweep.open` from a SweepSpec, and
 * fields added since (pruner, max_time) are optional in SweepSpec, so the stored JSON reads as one.
 */
import type { SweepRecord } from '../core/records.js';
import type { SweepSpec } from './types.js';

export function sweepSpecOf(record: Pick<SweepRecord, 'spec'>): SweepSpec {
  return record.spec as SweepSpec;
}
