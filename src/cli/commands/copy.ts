import { copySweep } from '../../orchestrator/copy.js';
import { openStorage, parseLocation } from '../../storage/open.js';
import { NAME_MAX_LENGTH, NAME_PATTERN } from '../../sweep-file/schema.js';
import { UsageError } from '../../errors.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const copyCommand: Command<{ sweep: string; to: string; name?: string; db?: string }> = {
  command: 'copy <sweep>',
  describe: 'copy a sweep with its trials, epochs and saved models into another database (SQLite or PostgreSQL), or under a new name',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('to', { describe: 'the database to copy into: a SQLite file or a postgres:// URL', type: 'string', demandOption: true })
      .option('name', { describe: 'the copy\'s name (default: the same)', type: 'string' })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (from) => {
      const sweep = await findSweep(from, args.sweep);
      const name = args.name ?? sweep.name;
      if (!new RegExp(NAME_PATTERN).test(name) || name.length > NAME_MAX_LENGTH) throw new UsageError(`--name: "${name}" is not a valid sweep name`);
      return withStorage(openStorage(parseLocation(args.to, io.cwd)), async (to) => {
        const out = await copySweep(from, sweep, to, name);
        println(io.stdout, `copied sweep "${sweep.name}" (${out.trials} trial(s), ${out.models} saved model(s)) to ${to.location} as "${name}"`);
        return 0;
      });
    }),
};
