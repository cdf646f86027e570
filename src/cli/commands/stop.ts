import { isLive } from '../../core/ownership.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, withStorage } from '../context.js';
import { openStorage } from '../../storage/open.js';
import { println } from '../io.js';

export const stopCommand: Command<{ sweep: string; db?: string; now: boolean }> = {
  command: 'stop <sweep>',
  describe: 'ask every process of a sweep (on any machine) to stop: no new trials; running ones finish, or with --now are interrupted',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('now', { describe: 'interrupt running trials instead of letting them finish (they run again on resume)', type: 'boolean', default: false })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openStorage(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const live = (await storage.listProcesses(sweep.id)).filter(isLive);
      if (!live.length) {
        println(io.stdout, `${sweep.name}: no process is running it (${sweep.state})`);
        return 0;
      }
      const asked = await storage.requestStop(sweep.id, args.now ? 'now' : 'drain');
      const how = args.now ? 'interrupt their running trials and stop' : 'finish their running trials and stop';
      println(io.stdout, `${sweep.name}: asked ${asked} process(es) to ${how}; they see it at their next heartbeat`);
      return 0;
    }),
};
