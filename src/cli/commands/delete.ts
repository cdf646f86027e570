import { existsSync, rmSync } from 'node:fs';
import { isLive } from '../../core/ownership.js';
import { UsageError } from '../../errors.js';
import { modelsDirFor } from '../../files/model-folders.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openExisting, withStorage } from '../context.js';
import { println } from '../io.js';

export const deleteCommand: Command<{ sweep: string; yes: boolean; db?: string }> = {
  command: 'delete <sweep>',
  describe: 'delete a sweep with its trials, epochs, checkpoints and saved models (asks on a terminal; --yes elsewhere)',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('yes', { alias: 'y', describe: 'delete without asking', type: 'boolean', default: false })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openExisting(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      if ((await storage.listProcesses(sweep.id)).some(isLive)) throw new UsageError(`a process runs sweep "${sweep.name}": stop it first (tfsweep stop ${sweep.name})`);
      const trials = (await storage.listTrials(sweep.id)).length;
      if (!args.yes) {
        if (!io.ask) throw new UsageError(`deleting sweep "${sweep.name}" (${trials} trial(s)) cannot be undone: add --yes (no terminal to ask on)`);
        const answer = await io.ask(`delete sweep "${sweep.name}" with its ${trials} trial(s), their epochs, checkpoints and saved models from ${storage.location}? [y/N] `);
        if (!/^y(es)?$/i.test(answer.trim())) {
          println(io.stdout, 'nothing deleted');
          return 0;
        }
      }
      const folder = storage.localFile ? modelsDirFor(storage.localFile, sweep.name) : null;
      await storage.deleteSweep(sweep.id);
      if (folder && existsSync(folder)) rmSync(folder, { recursive: true, force: true });
      println(io.stdout, `deleted sweep "${sweep.name}" (${trials} trial(s))${folder ? '' : ', its models and checkpoints with it'}`);
      return 0;
    }),
};
