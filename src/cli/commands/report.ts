import path from 'node:path';
import { UsageError } from '../../errors.js';
import { writeFileSafely } from '../../files/atomic-write.js';
import { isLive } from '../../core/ownership.js';
import { loadReportData } from '../../report/report-data.js';
import { reportHtml } from '../../report/page/html.js';
import { dbOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, plannedOrNull, withStorage } from '../context.js';
import { println } from '../io.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

export const reportCommand: Command<{ sweep: string; out?: string; db?: string }> = {
  command: 'report <sweep>',
  describe: 'write a self-contained HTML report of a sweep (charts, leaderboard, importance; opens offline)',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('out', { alias: 'o', describe: 'the HTML file to write (default: <sweep>-report.html here); written whole or not at all', type: 'string', requiresArg: true })
      .option('db', dbOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      if (args.out !== undefined && args.out.trim() === '') throw new UsageError('--out: expected a file path, got an empty string');
      const sweep = await findSweep(storage, args.sweep);
      const data = await loadReportData(storage, sweep, plannedOrNull(sweepSpecOf(sweep)), isLive);
      const written = writeFileSafely(path.resolve(io.cwd, args.out ?? defaultReportFile(sweep.name)), reportHtml(data));
      println(io.stdout, `report of "${sweep.name}" (${data.trials.length} trials) written to ${written}; open it in a browser (it needs no network)`);
      return 0;
    }),
};

/**
 * `<sweep>-report.html` in the working directory. The name comes from the database, which others may have
 * written: anything but letters, digits, `.`, `_` and `-` becomes `_`, so it can never name another folder.
 */
export function defaultReportFile(sweepName: string): string {
  const safe = sweepName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'sweep'}-report.html`;
}
