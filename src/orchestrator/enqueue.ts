/**
 * Configurations a person puts in a sweep's way: `enqueue:` (run first), `tfsweep enqueue` (into a sweep,
 * running or not), `tfsweep import` (results known already). Each is checked against the space and written
 * whole in one transaction: a bad row writes nothing.
 */
import { UsageError } from '../errors.js';
import { configurationProblem, completeConfiguration } from '../space/configuration.js';
import { deriveSeed } from '../space/rng.js';
import type { ParamValue } from '../core/params.js';
import type { EpochRecord, Metrics, TrialRecord } from '../core/records.js';
import type { Storage } from '../storage/storage.js';
import type { SweepSpec } from '../sweep-file/types.js';
import { newTrial } from './planner.js';

/** Adds configurations as queued trials; whichever process asks next claims the first, once. */
export async function enqueueConfigurations(storage: Storage, sweepId: number, spec: SweepSpec, entries: ReadonlyArray<Readonly<Record<string, unknown>>>, where = (i: number) => `configuration ${i + 1}`): Promise<TrialRecord[]> {
  entries.forEach((entry, i) => {
    const problem = configurationProblem(spec.parameters, spec.conditions, entry);
    if (problem) throw new UsageError(`${where(i)}: ${problem.message}`);
  });
  return storage.insertTrials(sweepId, entries.length, (i, configIndex) => ({
    ...newTrial(spec, configIndex, completeConfiguration(spec.parameters, spec.conditions, entries[i] as Record<string, ParamValue>, deriveSeed(spec.seed, 'enqueue', configIndex))),
    state: 'queued',
    origin: 'enqueued',
  }));
}

/** A known result: a configuration and its value (or a value per objective), with any other metrics. */
export interface KnownResult {
  params: Record<string, unknown>;
  metrics: Metrics;
  /** Its steps, when they are known (`tfsweep trial --db`). */
  epochs?: EpochRecord[];
}

/**
 * Adds known results as complete trials marked imported: every one must give every active parameter (nothing
 * is drawn for a result that was measured) and every metric the sweep ranks by.
 */
export async function importResults(storage: Storage, sweepId: number, spec: SweepSpec, rows: readonly KnownResult[], where: (i: number) => string): Promise<TrialRecord[]> {
  const objectives = spec.metrics ?? [spec.metric];
  const needed = [...new Set([...objectives.map((m) => m.name), ...(spec.constraints ?? []).map((c) => c.name)])];
  const whole = rows.map((row, i) => {
    const problem = configurationProblem(spec.parameters, spec.conditions, row.params);
    if (problem) throw new UsageError(`${where(i)}: ${problem.message}`);
    const params = completeConfiguration(spec.parameters, spec.conditions, row.params as Record<string, ParamValue>, 0);
    const missing = Object.keys(params).filter((k) => !(k in row.params));
    if (missing.length) throw new UsageError(`${where(i)}: no value for ${missing.map((k) => `"${k}"`).join(', ')} (a result needs every parameter its configuration has)`);
    const absent = needed.filter((m) => typeof row.metrics[m] !== 'number' || !Number.isFinite(row.metrics[m]));
    if (absent.length) throw new UsageError(`${where(i)}: no finite value for ${absent.map((m) => `"${m}"`).join(', ')} (what the sweep ranks trials by)`);
    return params;
  });
  return storage.insertTrials(sweepId, rows.length, (i, configIndex) => {
    const metrics = rows[i]!.metrics;
    const values = objectives.map((m) => metrics[m.name]!);
    return {
      ...newTrial(spec, configIndex, whole[i]!),
      state: 'complete',
      origin: 'imported',
      value: values[0]!,
      values: values.length > 1 ? values : null,
      metrics,
      ...(rows[i]!.epochs ? { epochs: rows[i]!.epochs } : {}),
    };
  });
}
