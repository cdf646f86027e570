/**
 * Where a sweep's trained models are kept, behind one interface for the dispatch loop: folders beside a
 * SQLite database (`<db folder>/<sweep>/trial-NNNN/`), or rows of the database itself on a server, so that
 * every machine that reaches the database reaches every model. Workers always save to a local folder; the
 * database keeper then stores that folder's files and removes it.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TrialRecord } from '../core/records.js';
import { ownedModelDir, readModelFiles, removeModelDir, removeOrphanModels, writeModelFiles } from '../files/model-folders.js';
import type { ModelStore, Storage } from '../storage/storage.js';
import { trialModelDir } from '../trainer/model-io.js';

/** A model available as a folder for as long as it is needed. */
export interface OpenedModel {
  dir: string;
  release(): void;
}

export interface ModelKeeper {
  /** Where the worker training trial `number` saves its model. */
  saveDir(number: number): string;
  /** The worker saved the trial's model in `dir`: keep it and record where (the trial is still running); returns that place, or null when none was kept. */
  keep(trial: TrialRecord, dir: string): Promise<string | null>;
  /** The trial's kept model as a folder, or null when it has none (or none that is the sweep's own). */
  open(trial: TrialRecord): Promise<OpenedModel | null>;
  /** Deletes the trial's model and clears its `model_path`. */
  remove(trial: TrialRecord): Promise<void>;
  /** Deletes models no trial will use: of trials that failed or were interrupted, and cut-short saves. */
  removeOrphans(sweepId: number): Promise<void>;
  /** Removes what this process holds locally (the database keeper's staging folder). */
  close(): void;
}

/** Models in `modelsDir`, one `trial-NNNN` folder each; only folders inside it are ever read or removed. */
export class FolderKeeper implements ModelKeeper {
  constructor(
    private readonly storage: Storage,
    readonly modelsDir: string,
  ) {}

  saveDir(number: number): string {
    return trialModelDir(this.modelsDir, number);
  }

  async keep(trial: TrialRecord, dir: string): Promise<string> {
    await this.storage.setModelPath(trial.id, dir);
    return dir;
  }

  async open(trial: TrialRecord): Promise<OpenedModel | null> {
    const dir = ownedModelDir(this.modelsDir, trial.modelPath);
    return dir ? { dir, release: () => {} } : null;
  }

  async remove(trial: TrialRecord): Promise<void> {
    removeModelDir(this.modelsDir, trial.modelPath);
    await this.storage.setModelPath(trial.id, null);
  }

  async removeOrphans(sweepId: number): Promise<void> {
    removeOrphanModels(this.modelsDir, await this.storage.listTrials(sweepId));
  }

  close(): void {}
}

const STAGING_PREFIX = 'tfsweep-models-';

/** Staging folders of processes on this machine that died (kill -9) before removing theirs. */
function removeDeadStaging(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^tfsweep-models-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue; // alive (or a reused pid: its folder is left alone)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') continue;
    }
    rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/** Models stored in the database; a private temporary folder holds saves in progress and models being read. */
export class DatabaseKeeper implements ModelKeeper {
  private readonly staging: string;
  private opened = 0;

  constructor(private readonly store: ModelStore) {
    removeDeadStaging(os.tmpdir());
    this.staging = mkdtempSync(path.join(os.tmpdir(), `${STAGING_PREFIX}${process.pid}-`));
  }

  saveDir(number: number): string {
    return trialModelDir(this.staging, number);
  }

  async keep(trial: TrialRecord, dir: string): Promise<string | null> {
    try {
      // A trial no longer running (declared gone meanwhile) keeps no model: save() says so with null.
      return await this.store.save(trial.id, readModelFiles(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async open(trial: TrialRecord): Promise<OpenedModel | null> {
    if (!trial.modelPath) return null;
    const files = await this.store.load(trial.id);
    if (!files) return null;
    const dir = path.join(this.staging, `read-${++this.opened}`);
    writeModelFiles(dir, files);
    return { dir, release: () => rmSync(dir, { recursive: true, force: true }) };
  }

  async remove(trial: TrialRecord): Promise<void> {
    await this.store.remove(trial.id);
  }

  async removeOrphans(sweepId: number): Promise<void> {
    await this.store.removeOrphans(sweepId);
  }

  close(): void {
    rmSync(this.staging, { recursive: true, force: true });
  }
}
