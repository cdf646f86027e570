import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { isLive } from '../../core/ownership.js';
import { UsageError } from '../../errors.js';
import { modelsDirFor } from '../../files/model-folders.js';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../../sweep-file/schema.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openExisting, withStorage } from '../context.js';
import { println } from '../io.js';

export const renameCommand: Command<{ sweep: string; name: string; db?: string }> = {
  command: 'rename <sweep> <name>',
  describe: 'rename a sweep (its saved models move with it); refused while a process runs it',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .positional('name', { describe: 'the new name', type: 'string', demandOption: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openExisting(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      if (!new RegExp(NAME_PATTERN).test(args.name) || args.name.length > NAME_MAX_LENGTH) {
        throw new UsageError(`"${args.name}" is not a valid sweep name (letters, digits, ".", "_" or "-", starting with a letter or digit, at most ${NAME_MAX_LENGTH} characters)`);
      }
      if ((await storage.listProcesses(sweep.id)).some(isLive)) throw new UsageError(`a process runs sweep "${sweep.name}": stop it first (tfsweep stop ${sweep.name})`);
      if (await storage.getSweep(args.name)) throw new UsageError(`a sweep named "${args.name}" exists already in ${storage.location}`);
      // A SQLite file keeps each sweep's models in a folder named after it: the folder moves, and the paths with it.
      const from = storage.localFile ? modelsDirFor(storage.localFile, sweep.name) : null;
      const to = storage.localFile ? modelsDirFor(storage.localFile, args.name) : null;
      if (to && existsSync(to)) throw new UsageError(`${to} exists already: its models folder cannot take the new name`);
      await storage.renameSweep(sweep.id, args.name);
      if (from && to && existsSync(from)) {
        renameSync(from, to);
        for (const t of await storage.listTrials(sweep.id)) {
          if (t.modelPath && path.dirname(path.resolve(t.modelPath)) === from) await storage.setModelPath(t.id, path.join(to, path.basename(t.modelPath)));
        }
      }
      println(io.stdout, `sweep "${sweep.name}" is now "${args.name}"`);
      return 0;
    }),
};
