import { isLive } from '../../core/ownership.js';
import { summarize } from '../../report/leaderboard.js';
import { sweepsTable } from '../../report/tables.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation, openForReading, withStorage, plannedOrNull } from '../context.js';
import { println } from '../io.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

export const listCommand: Command<{ db?: string; json: boolean }> = {
  command: 'list',
  describe: 'list the sweeps in the database',
  builder: (y) => y.option('db', dbOption).option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const rows = [];
      for (const s of await storage.listSweeps()) rows.push(summarize(s, await storage.listTrials(s.id), plannedOrNull(sweepSpecOf(s)), (await storage.listProcesses(s.id)).filter(isLive).length));
      if (args.json) println(io.stdout, JSON.stringify(rows, null, 2));
      else if (rows.length === 0) println(io.stdout, 'no sweeps yet');
      else println(io.stdout, sweepsTable(rows));
      return 0;
    }),
};
