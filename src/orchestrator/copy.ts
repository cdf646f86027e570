/**
 * A sweep copied whole from one database into another (SQLite ⇄ PostgreSQL, or within one under a new
 * name): its definition, every trial as it stands (epochs, executions, attempts, notes, test metrics), its
 * saved models, its state and note. A trial that was running in the source (a live sweep) arrives
 * interrupted: it runs again, from its beginning, when the copy is run.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { modelsDirFor, ownedModelDir, readModelFiles, writeModelFiles } from '../files/model-folders.js';
import type { ModelFile, Storage, SweepRecord, TrialRecord } from '../storage/storage.js';

export interface CopyOutcome {
  sweep: SweepRecord;
  trials: number;
  models: number;
}

export async function copySweep(from: Storage, sweep: SweepRecord, to: Storage, name: string): Promise<CopyOutcome> {
  if (await to.getSweep(name)) throw new UsageError(`${to.location} has a sweep named "${name}" already: give the copy another name with --name`);
  const trials = await from.listTrials(sweep.id, { withEpochs: true });
  const { sweep: copy } = await to.joinSweep({ ...sweep.spec, name }, sweep.source);
  try {
    const stored = await to.insertTrials(copy.id, trials.length, (i) => {
      const t = trials[i]!;
      return {
        configIndex: t.configIndex,
        params: t.params,
        distributions: t.distributions,
        seed: t.seed,
        state: t.state === 'running' ? 'interrupted' : t.state,
        origin: t.origin ?? null,
        value: t.value,
        values: t.values ?? null,
        metrics: t.metrics,
        error: t.state === 'running' ? 'copied while it ran' : t.error,
        note: t.note ?? null,
        testMetrics: t.testMetrics ?? null,
        prunedStep: t.prunedStep ?? null,
        backend: t.backend,
        startedAt: t.startedAt,
        endedAt: t.endedAt,
        attempt: t.attempt ?? 1,
        attempts: t.attempts ?? [],
        epochs: t.epochs ?? [],
        executions: t.executions ?? [],
      };
    });
    let models = 0;
    for (const [i, t] of trials.entries()) {
      const files = t.modelPath ? await modelFiles(from, sweep, t) : null;
      if (!files) continue;
      const target = stored[i]!;
      if (to.models) await to.models.put(target.id, files);
      else {
        const folder = modelsDirFor(to.localFile!, name);
        const dir = path.join(folder, `trial-${String(target.number).padStart(4, '0')}`);
        mkdirSync(folder, { recursive: true });
        writeModelFiles(dir, files);
        await to.setModelPath(target.id, dir);
      }
      models++;
    }
    if (sweep.state === 'finished') await to.finishSweep(copy.id, sweep.message ?? 'finished');
    else await to.setSweepState(copy.id, 'stopped', `copied from ${from.location}${sweep.message ? `: ${sweep.message}` : ''}`);
    if (sweep.note) await to.setNote(copy.id, null, sweep.note);
    return { sweep: (await to.getSweep(name))!, trials: trials.length, models };
  } catch (err) {
    // Nothing half-copied: the copy goes with what it had.
    await to.deleteSweep(copy.id).catch(() => {});
    throw err;
  }
}

/** A trial's saved model files in the source: from its database, or from its folder beside a SQLite file. */
async function modelFiles(from: Storage, sweep: SweepRecord, t: TrialRecord): Promise<ModelFile[] | null> {
  if (from.models) return from.models.load(t.id);
  // Only a folder of the sweep's own (a database is not trusted to name paths): the check every copy makes.
  const dir = ownedModelDir(modelsDirFor(from.localFile!, sweep.name), path.resolve(path.dirname(from.localFile!), t.modelPath!));
  return dir ? readModelFiles(dir) : null;
}
