/**
 * The folders tfsweep saves models in, and the only places it ever deletes or copies from. A path read from
 * the database is never trusted: a shared or edited database could name any folder. Only a `trial-NNNN`
 * folder directly inside the sweep's own models folder, checked after resolving symlinks, is touched.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MODEL_FILE_NAME, type ModelFile, type TrialRecord } from '../core/records.js';

export const TRIAL_DIR_PATTERN = /^trial-\d{4,}$/;
const UNFINISHED_SAVE_PATTERN = /^trial-\d{4,}\.tmp-\d+$/;

/** Where a sweep's models go: `<sweep name>/` beside the database (`results/<sweep>/` by default). */
export function modelsDirFor(dbFile: string, sweepName: string): string {
  const dir = path.dirname(path.resolve(dbFile));
  const out = path.join(dir, sweepName);
  // The name rule keeps this inside; checked again because everything below deletes under it.
  if (path.dirname(out) !== dir) throw new Error(`the sweep name ${JSON.stringify(sweepName)} would put its models outside ${dir}`);
  return out;
}

function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * `candidate` resolved, when it is a `trial-NNNN` folder directly inside `modelsDir` (both resolved), else
 * null: the check before any copy from or removal of a model folder.
 */
export function ownedModelDir(modelsDir: string, candidate: string | null | undefined): string | null {
  if (!candidate) return null;
  const root = realOrNull(modelsDir);
  const real = realOrNull(candidate);
  if (!root || !real) return null;
  if (path.dirname(real) !== root || !TRIAL_DIR_PATTERN.test(path.basename(real))) return null;
  return lstatSync(real).isDirectory() ? real : null;
}

/** Removes a model folder if it is one of the sweep's own; returns whether it did. */
export function removeModelDir(modelsDir: string, candidate: string | null | undefined): boolean {
  const owned = ownedModelDir(modelsDir, candidate);
  if (!owned) return false;
  rmSync(owned, { recursive: true, force: true });
  return true;
}

/**
 * Removes what no trial will ever use: `trial-NNNN.tmp-PID` folders of saves a crash cut short, and the
 * model folders of trials that did not complete (an interrupted trial may have saved its first execution's
 * model). A folder whose number no trial of this sweep has is left alone: it is not this sweep's to judge.
 */
export function removeOrphanModels(modelsDir: string, trials: readonly TrialRecord[]): number {
  if (!existsSync(modelsDir)) return 0;
  let removed = 0;
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  for (const name of readdirSync(modelsDir)) {
    const full = path.join(modelsDir, name);
    if (UNFINISHED_SAVE_PATTERN.test(name)) {
      // A save in progress by another process of the same sweep (its trial still runs) is left alone.
      if (byNumber.get(Number(name.slice('trial-'.length, name.indexOf('.'))))?.state === 'running') continue;
      if (!lstatSync(full).isSymbolicLink()) rmSync(full, { recursive: true, force: true });
      removed++;
      continue;
    }
    if (!TRIAL_DIR_PATTERN.test(name)) continue;
    const trial = byNumber.get(Number(name.slice('trial-'.length)));
    if (!trial || (trial.state !== 'interrupted' && trial.state !== 'failed')) continue;
    if (removeModelDir(modelsDir, full)) removed++;
  }
  return removed;
}

/** The regular files of a saved model's folder (no sub-folders, no links), for storing it elsewhere. */
export function readModelFiles(dir: string): ModelFile[] {
  const files: ModelFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    if (!MODEL_FILE_NAME.test(entry.name)) throw new Error(`${path.join(dir, entry.name)}: not a plain model file name`);
    files.push({ name: entry.name, data: readFileSync(path.join(dir, entry.name)) });
  }
  return files;
}

/** Writes a model's files into a new folder `dir` (its parent must exist). */
export function writeModelFiles(dir: string, files: readonly ModelFile[]): void {
  mkdirSync(dir);
  for (const f of files) {
    if (!MODEL_FILE_NAME.test(f.name)) throw new Error(`a model file named ${JSON.stringify(f.name)}: not a plain file name`);
    writeFileSync(path.join(dir, f.name), f.data, { flag: 'wx' });
  }
}
