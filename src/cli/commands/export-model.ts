import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { bestFirst } from '../../report/leaderboard.js';
import { dbOption, type Command } from '../command.js';
import { dbPath, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const exportModelCommand: Command<{ sweep: string; trial?: number; out: string; db?: string }> = {
  command: 'export-model <sweep> [trial]',
  describe: "copy a trial's saved model (tfjs format: model.json + weights.bin) to a folder (default: the best trial)",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .positional('trial', { describe: 'trial number (default: the best)', type: 'number' })
      .option('out', { alias: 'o', describe: 'destination folder', type: 'string', demandOption: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbPath(io, args.db)), (storage) => {
      const sweep = findSweep(storage, args.sweep);
      const trials = storage.listTrials(sweep.id);
      const trial = args.trial === undefined ? bestFirst(sweep.metric.goal, trials)[0] : trials.find((t) => t.number === args.trial);
      if (!trial) throw new UsageError(args.trial === undefined ? `sweep "${sweep.name}" has no completed trial` : `sweep "${sweep.name}" has no trial ${args.trial}`);
      if (!trial.modelPath || !existsSync(trial.modelPath)) {
        throw new UsageError(`trial ${trial.number} of "${sweep.name}" has no saved model (only completed trials of the built-in trainer save one; save_models keeps the best K)`);
      }
      const out = path.resolve(io.cwd, args.out);
      mkdirSync(out, { recursive: true });
      cpSync(trial.modelPath, out, { recursive: true });
      println(io.stdout, `trial ${trial.number} → ${out} (load with tf.loadLayersModel; inputs normalized as model.json's userDefinedMetadata.tfsweep says)`);
      return 0;
    }),
};
