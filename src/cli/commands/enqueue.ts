import { UsageError } from '../../errors.js';
import { enqueueConfigurations } from '../../orchestrator/enqueue.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';
import { formatParams } from '../../report/format.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openExisting, withStorage } from '../context.js';
import { println } from '../io.js';

export const enqueueCommand: Command<{ sweep: string; params: string; db?: string }> = {
  command: 'enqueue <sweep>',
  describe: 'add a configuration to a sweep (running or not): the next process to ask runs it, once',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('params', { describe: 'the configuration as JSON, e.g. \'{"learning_rate": 0.001, "units": 128}\'; parameters left out are drawn', type: 'string', demandOption: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openExisting(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      if (sweep.state === 'finished') throw new UsageError(`sweep "${sweep.name}" is finished (${sweep.message ?? 'done'}): no process will claim a new trial; enqueue into a sweep that runs or will run again`);
      let params: unknown;
      try {
        params = JSON.parse(args.params);
      } catch (err) {
        throw new UsageError(`--params: not JSON (${(err as Error).message})`);
      }
      if (!params || typeof params !== 'object' || Array.isArray(params)) throw new UsageError('--params: expected a JSON object of parameter values, e.g. \'{"units": 128}\'');
      const [trial] = await enqueueConfigurations(storage, sweep.id, sweepSpecOf(sweep), [params as Record<string, unknown>], () => '--params');
      println(io.stdout, `${sweep.name}: trial ${trial!.number} queued (${formatParams(trial!.params)}); the next process to ask for a trial runs it`);
      return 0;
    }),
};
