import { paretoRows, quietMetrics, rankTrials } from '../../report/leaderboard.js';
import { leaderboardTable } from '../../report/tables.js';
import { isMultiObjective, objectivesOf } from '../../core/metric.js';
import { dbOption, jsonOption, positiveInteger, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const bestCommand: Command<{ sweep: string; top?: number; metric?: string; db?: string; json: boolean }> = {
  command: 'best <sweep>',
  describe: "the best completed trials, ranked by the sweep's metric and goal; with several objectives, the Pareto front",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('top', { alias: 'k', describe: 'how many trials to show (default 5; with several objectives, the whole front)', type: 'number' })
      .check(positiveInteger('top'))
      .option('metric', { describe: 'rank by this one of the sweep\'s objectives instead (several objectives)', type: 'string' })
      .option('db', dbOption)
      .option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const trials = await storage.listTrials(sweep.id, { withEpochs: true });
      // Several objectives: the trials no other complete trial beats on every objective (those meeting the
      // constraints), unless --metric asks for a ranking by one of them.
      const front = isMultiObjective(objectivesOf(sweep.spec)) && args.metric === undefined;
      const all = front ? paretoRows(sweep, trials) : rankTrials(sweep, trials, args.metric);
      const rows = args.top !== undefined || !front ? all.slice(0, args.top ?? 5) : all;
      if (args.json) println(io.stdout, JSON.stringify(rows, null, 2));
      else println(io.stdout, rows.length ? leaderboardTable(rows, args.metric ?? sweep.metric.name, quietMetrics(sweep)) : 'no completed trials yet');
      return 0;
    }),
};
