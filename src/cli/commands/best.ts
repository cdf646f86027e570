import { rankTrials } from '../../report/leaderboard.js';
import { leaderboardTable } from '../../report/tables.js';
import { dbOption, jsonOption, positiveInteger, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const bestCommand: Command<{ sweep: string; top: number; db?: string; json: boolean }> = {
  command: 'best <sweep>',
  describe: "the best completed trials, ranked by the sweep's metric and goal",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('top', { alias: 'k', describe: 'how many trials to show', type: 'number', default: 5 })
      .check(positiveInteger('top'))
      .option('db', dbOption)
      .option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const rows = rankTrials(sweep, await storage.listTrials(sweep.id, { withEpochs: true })).slice(0, args.top);
      if (args.json) println(io.stdout, JSON.stringify(rows, null, 2));
      else println(io.stdout, rows.length ? leaderboardTable(rows, sweep.metric.name) : 'no completed trials yet');
      return 0;
    }),
};
