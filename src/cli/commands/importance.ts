import { parameterImportance } from '../../report/importance.js';
import { render } from '../../report/tables.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

export const importanceCommand: Command<{ sweep: string; db?: string; json: boolean }> = {
  command: 'importance <sweep>',
  describe: "which parameters mattered: PED-ANOVA importance over the sweep's complete trials",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('db', dbOption)
      .option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const result = parameterImportance(await storage.listTrials(sweep.id), sweepSpecOf(sweep).parameters, sweep.metric.goal);
      if (args.json) {
        println(io.stdout, JSON.stringify(result, null, 2));
        return 0;
      }
      if (result.note) {
        // The report says the same instead of drawing bars: shares computed from nothing would read as findings.
        println(io.stdout, `${sweep.name}: ${result.note}; no importances yet`);
        return 0;
      }
      const bar = (v: number): string => '█'.repeat(Math.round(v * 30));
      println(io.stdout, render(['parameter', 'importance', ''], Object.entries(result.importances).map(([p, v]) => [p, v.toFixed(3), bar(v)])));
      println(io.stdout, `PED-ANOVA over ${result.trials} complete trial(s), the top ${result.topTrials} against all${result.trials < 10 ? '; with so few trials, read it as a rough guide' : ''}`);
      return 0;
    }),
};
