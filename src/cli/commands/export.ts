import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EXPORT_FORMATS, exportLeaderboard, type ExportFormat } from '../../report/export.js';
import { rankTrials } from '../../report/leaderboard.js';
import { dbOption, type Command } from '../command.js';
import { dbPath, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';

export const exportCommand: Command<{ sweep: string; format: ExportFormat; out?: string; db?: string }> = {
  command: 'export <sweep>',
  describe: 'write the leaderboard (rank, trial, value, params, final metrics, duration) as CSV, JSON or Markdown',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('format', { alias: 'f', describe: 'output format', choices: EXPORT_FORMATS, default: 'csv' as ExportFormat })
      .option('out', { alias: 'o', describe: 'write to this file instead of stdout', type: 'string' })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbPath(io, args.db)), (storage) => {
      const sweep = findSweep(storage, args.sweep);
      const text = exportLeaderboard(sweep, rankTrials(sweep, storage.listTrials(sweep.id, { withEpochs: true })), args.format);
      if (!args.out) {
        io.stdout.write(text);
        return 0;
      }
      // Write beside the target and rename, so a reader never sees half a file.
      const target = path.resolve(io.cwd, args.out);
      mkdirSync(path.dirname(target), { recursive: true });
      const tmp = `${target}.tmp-${process.pid}`;
      writeFileSync(tmp, text);
      renameSync(tmp, target);
      println(io.stderr, `wrote ${target}`);
      return 0;
    }),
};
