import { trialView } from '../../report/leaderboard.js';
import { trialsTable } from '../../report/tables.js';
import { objectivesOf } from '../../core/metric.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const trialsCommand: Command<{ sweep: string; db?: string; json: boolean }> = {
  command: 'trials <sweep>',
  describe: "every trial of a sweep, in order, with its state, value and params (JSON adds each trial's epochs)",
  builder: (y) =>
    y.positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true }).option('db', dbOption).option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const rows = (await storage.listTrials(sweep.id, { withEpochs: true })).map(trialView);
      if (args.json) println(io.stdout, JSON.stringify(rows, null, 2));
      // Several objectives: a column for each (the first is the trial's value).
      else println(io.stdout, rows.length ? trialsTable(rows, sweep.metric.name, objectivesOf(sweep.spec).metrics.slice(1).map((m) => m.name)) : 'no trials yet');
      return 0;
    }),
};
