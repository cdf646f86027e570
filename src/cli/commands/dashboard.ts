import { isLive } from '../../core/ownership.js';
import { isLoopback, startDashboard } from '../../report/dashboard.js';
import { dbOption, integerOption, type Command } from '../command.js';
import { dbLocation, openForReading } from '../context.js';
import { println } from '../io.js';

export const dashboardCommand: Command<{ db?: string; port: number; host: string }> = {
  command: 'dashboard',
  describe: 'serve a live view of every sweep in the database (read-only; http://127.0.0.1:8080 by default)',
  builder: (y) =>
    y
      .option('db', dbOption)
      .option('port', { alias: 'p', describe: 'port to listen on (0: any free port)', type: 'number', default: 8080, requiresArg: true })
      .check(integerOption('port', 0, 65535))
      .option('host', { describe: 'address to listen on (loopback by default; 0.0.0.0 shows it to the network)', type: 'string', default: '127.0.0.1', requiresArg: true }),
  handler: async (args, io) => {
    const location = dbLocation(io, args.db);
    const storage = await openForReading(location);
    let dashboard;
    try {
      dashboard = await startDashboard({ storage, isLive, host: args.host, port: args.port, reopen: () => openForReading(location) });
    } catch (err) {
      await storage.close();
      throw err;
    }
    if (!isLoopback(args.host)) {
      println(io.stderr, `warning: --host ${args.host}: the dashboard is open to other machines, with no password: anyone who reaches it reads every sweep of this database (sweep files, paths, errors)`);
    }
    println(io.stdout, `dashboard of ${storage.location} at ${dashboard.url} (read-only; Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      io.signal?.addEventListener('abort', stop, { once: true });
    });
    await dashboard.close();
    await storage.close();
    return 0;
  },
};
