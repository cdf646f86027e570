import { UsageError } from '../../errors.js';
import type { LoadedSpec } from '../../spec/types.js';
import { dbOption, integerOption, type Command } from '../command.js';
import { dbLocation, findSweep, withStorage } from '../context.js';
import { openStorage } from '../../storage/open.js';
import { MAX_WORKERS } from '../../orchestrator/run-sweep.js';
import { MAX_TIME_OPTION, maxTimeOption, runSweepCommand } from './run.js';

export const agentCommand: Command<{ sweep: string; db?: string; workers?: number; top: number; 'max-time'?: string }> = {
  command: 'agent <sweep>',
  describe: 'join a sweep stored in the database (started by `tfsweep run` elsewhere) and run its trials here',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('workers', { alias: 'w', describe: `parallel trials in this process (1–${MAX_WORKERS}; default: this machine's cores)`, type: 'number', requiresArg: true })
      .option('top', { describe: 'leaderboard rows to print at the end', type: 'number', default: 5, requiresArg: true })
      .option('db', dbOption)
      .check(integerOption('workers', 1, MAX_WORKERS))
      .check(integerOption('top', 0))
      .option('max-time', MAX_TIME_OPTION)
      .check(maxTimeOption),
  handler: async (args, io) => {
    // The sweep's definition comes from the database: every process runs exactly the same sweep.
    const loaded = await withStorage(openStorage(dbLocation(io, args.db), { readonly: true }), async (storage): Promise<LoadedSpec> => {
      const sweep = await findSweep(storage, args.sweep);
      if (sweep.state === 'finished') throw new UsageError(`sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})`);
      return { spec: sweep.spec, source: sweep.source, warnings: [], file: `${sweep.name} (from the database)` } as unknown as LoadedSpec;
    });
    return runSweepCommand(loaded, args, io);
  },
};
