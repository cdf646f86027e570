import { plannedTrialCount } from '../../samplers/index.js';
import { summarize } from '../../report/leaderboard.js';
import { sweepsTable } from '../../report/tables.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbPath, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const listCommand: Command<{ db?: string; json: boolean }> = {
  command: 'list',
  describe: 'list the sweeps in the database',
  builder: (y) => y.option('db', dbOption).option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbPath(io, args.db)), (storage) => {
      const rows = storage.listSweeps().map((s) => summarize(s, storage.listTrials(s.id), plannedTrialCount(s.spec)));
      if (args.json) println(io.stdout, JSON.stringify(rows, null, 2));
      else if (rows.length === 0) println(io.stdout, 'no sweeps yet');
      else println(io.stdout, sweepsTable(rows));
      return 0;
    }),
};
