import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError, errnoCode } from '../../errors.js';
import { modelsDirFor, ownedModelDir, writeModelFiles } from '../../files/model-folders.js';
import { bestFirst } from '../../report/leaderboard.js';
import { isMultiObjective, objectivesOf } from '../../core/metric.js';
import { dbOption, integerOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';
import type { Storage, SweepRecord, TrialRecord } from '../../storage/storage.js';

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The resolved path of `p`, or of its nearest existing ancestor joined with the rest. */
function resolveReal(p: string): string {
  const rest: string[] = [];
  let cur = p;
  while (!existsSync(cur) && path.dirname(cur) !== cur) {
    rest.unshift(path.basename(cur));
    cur = path.dirname(cur);
  }
  return path.join(realpathSync(cur), ...rest);
}

/**
 * Copies `from` (a model folder) to `out`: a new folder is filled beside it and renamed into place, so a
 * failed copy leaves nothing; an existing folder is written into only when it is empty or with --force.
 */
function copyModel(from: string, out: string, force: boolean): void {
  if (existsSync(out)) {
    if (!statSync(out).isDirectory()) throw new UsageError(`--out ${out}: is a file; give a folder`);
    if (readdirSync(out).length > 0 && !force) throw new UsageError(`--out ${out}: the folder is not empty; choose another, or pass --force to write the model into it`);
  }
  const realOut = resolveReal(out);
  if (isInside(realOut, from) || isInside(from, realOut)) throw new UsageError(`--out ${out}: is the saved model's own folder, or inside or around it; choose another folder`);
  try {
    if (existsSync(out)) {
      cpSync(from, out, { recursive: true, force: true });
      return;
    }
    mkdirSync(path.dirname(out), { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot write it (${errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTDIR' ? 'a part of the path is a file, not a folder' : (err as Error).message})`);
  }
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    cpSync(from, tmp, { recursive: true });
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new UsageError(`--out ${out}: cannot write it (${(err as Error).message})`);
  }
}

/** The trial's saved model as a folder to copy from: its own folder beside a SQLite file, or a private copy of what the database keeps. */
async function modelFolder(storage: Storage, sweep: SweepRecord, trial: TrialRecord & { modelPath: string }): Promise<{ dir: string; release(): void }> {
  if (storage.models) {
    const files = await storage.models.load(trial.id);
    if (!files) throw new UsageError(`trial ${trial.number} of "${sweep.name}": its saved model (${trial.modelPath}) is not in the database any more`);
    const staging = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-export-'));
    const release = (): void => rmSync(staging, { recursive: true, force: true });
    try {
      writeModelFiles(path.join(staging, 'model'), files);
    } catch (err) {
      release();
      throw err;
    }
    return { dir: path.join(staging, 'model'), release };
  }
  if (!storage.localFile) throw new UsageError(`${storage.location}: this database keeps no models`);
  // The database names the folder, but only a trial folder of this sweep's own models folder is copied.
  const modelsDir = modelsDirFor(storage.localFile, sweep.name);
  const dir = ownedModelDir(modelsDir, trial.modelPath);
  if (!dir) {
    throw new UsageError(
      existsSync(trial.modelPath)
        ? `trial ${trial.number} of "${sweep.name}": its recorded model folder ${trial.modelPath} is not a trial folder inside ${modelsDir}; refusing to copy it`
        : `trial ${trial.number} of "${sweep.name}": its saved model ${trial.modelPath} no longer exists`,
    );
  }
  return { dir, release: () => {} };
}

export const exportModelCommand: Command<{ sweep: string; trial?: number; out: string; db?: string; force: boolean }> = {
  command: 'export-model <sweep> [trial]',
  describe: "copy a trial's saved model (tfjs format: model.json + weights.bin) to a folder (default: the best trial)",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .positional('trial', { describe: 'trial number (default: the best)', type: 'number' })
      .check(integerOption('trial', 0, Number.MAX_SAFE_INTEGER, 'trial'))
      .option('out', { alias: 'o', describe: 'destination folder (new or empty)', type: 'string', demandOption: true, requiresArg: true })
      .option('force', { describe: 'write into a destination folder that is not empty', type: 'boolean', default: false })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      if (args.out.trim() === '') throw new UsageError('--out: expected a folder path, got an empty string');
      const sweep = await findSweep(storage, args.sweep);
      const trials = await storage.listTrials(sweep.id);
      const objectives = objectivesOf(sweep.spec);
      if (args.trial === undefined && isMultiObjective(objectives)) {
        throw new UsageError(`sweep "${sweep.name}" has several objectives, so no one trial is best: choose one of its Pareto front with --trial N (\`tfsweep best ${sweep.name}\` lists them)`);
      }
      const trial = args.trial === undefined ? bestFirst(objectives, trials)[0] : trials.find((t) => t.number === args.trial);
      if (!trial) throw new UsageError(args.trial === undefined ? `sweep "${sweep.name}" has no completed trial` : `sweep "${sweep.name}" has no trial ${args.trial}`);
      if (!trial.modelPath) {
        throw new UsageError(`trial ${trial.number} of "${sweep.name}" has no saved model (only completed trials of the built-in trainer save one; save_models keeps the best K)`);
      }
      const out = path.resolve(io.cwd, args.out);
      const source = await modelFolder(storage, sweep, trial as TrialRecord & { modelPath: string });
      try {
        copyModel(source.dir, out, args.force);
      } finally {
        source.release();
      }
      println(io.stdout, `trial ${trial.number} → ${out} (load with tf.loadLayersModel; inputs normalized as model.json's userDefinedMetadata.tfsweep says)`);
      return 0;
    }),
};
