import { writeFileSafely } from '../../files/atomic-write.js';
import { EXPORT_FORMATS, exportLeaderboard, type ExportFormat } from '../../report/export.js';
import { rankTrials } from '../../report/leaderboard.js';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const exportCommand: Command<{ sweep: string; format: ExportFormat; out?: string; db?: string }> = {
  command: 'export <sweep>',
  describe: 'write the leaderboard (rank, trial, value, params, final metrics, duration) as CSV, JSON or Markdown',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('format', { alias: 'f', describe: 'output format', choices: EXPORT_FORMATS, default: 'csv' as ExportFormat, requiresArg: true })
      .option('out', { alias: 'o', describe: 'write to this file instead of stdout (whole or not at all)', type: 'string', requiresArg: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const text = exportLeaderboard(sweep, rankTrials(sweep, await storage.listTrials(sweep.id, { withEpochs: true })), args.format);
      if (args.out !== undefined && args.out.trim() === '') throw new UsageError('--out: expected a file path, got an empty string');
      if (args.out === undefined) {
        io.stdout.write(text);
        return 0;
      }
      const written = writeFileSafely(path.resolve(io.cwd, args.out), text);
      println(io.stderr, `wrote ${written}`);
      return 0;
    }),
};
