/**
 * Configurations a person puts in a sweep's way: `enqueue:` (run first), `tfsweep enqueue` (into a sweep,
 * running or not), `tfsweep import` (results known already). Each is checked against the space and written
 * whole in one transaction: a bad row writes nothing.
 */
import { UsageError } from '../errors.js';
import { configurationProblem, completeConfiguration } from '../space/configuration.js';
import { deriveSeed } from '../space/rng.js';
import type { ParamValue } from '../core/params.js';
import type { EpochRecord, Metrics, SweepRecord, TrialRecord } from '../core/records.js';
import type { Storage } from '../storage/storage.js';
import type { LoadedSpec, SweepSpec } from '../sweep-file/types.js';
import { resumableSpec } from './resume.js';
import { newTrial } from './planner.js';
import { objectivesOf, requiredMetrics } from '../core/metric.js';

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
  const needed = requiredMetrics(objectivesOf(spec));
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

/**
 * Known results into the sweep a file defines (`tfsweep import FILE`, `tfsweep trial --db`): the stored sweep
 * of that name (whose definition must be the file's, as for a run), or a new one created from the file. A
 * new sweep is left stopped with its `enqueue:` configurations waiting for the first run, as a run that
 * created it would leave them; if the results are refused, the sweep this call created goes with them.
 */
export async function importIntoFileSweep(
  storage: Storage,
  loaded: LoadedSpec,
  rows: readonly KnownResult[],
  where: (i: number) => string,
  by: string,
): Promise<{ sweep: SweepRecord; trials: TrialRecord[]; created: boolean }> {
  const spec = fileSpecIn(await storage.getSweep(loaded.spec.name), loaded);
  const { sweep, created } = await storage.joinSweep(spec, loaded.source);
  try {
    const trials = await importResults(storage, sweep.id, spec, rows, where);
    if (created) {
      if (spec.enqueue?.length) await enqueueConfigurations(storage, sweep.id, spec, spec.enqueue, (i) => `enqueue[${i}]`);
      await storage.setSweepState(sweep.id, 'stopped', `created by ${by}; run its file to search on`);
    }
    return { sweep, trials, created };
  } catch (err) {
    if (created) await storage.deleteSweep(sweep.id);
    throw err;
  }
}

/** The definition a file gives a sweep stored under its name (refused when it changed), or the file's own. */
export function fileSpecIn(stored: SweepRecord | undefined, loaded: LoadedSpec): SweepSpec {
  return stored ? resumableSpec(stored, loaded.spec) : loaded.spec;
}
