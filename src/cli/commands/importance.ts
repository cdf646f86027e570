import { importanceByObjective, type Importance } from '../../report/importance.js';
import { render } from '../../report/tables.js';
import { rankingOf } from '../../report/leaderboard.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage } from '../context.js';
import { println } from '../io.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

export const importanceCommand: Command<{ sweep: string; metric?: string; db?: string; json: boolean }> = {
  command: 'importance <sweep>',
  describe: "which parameters mattered: PED-ANOVA importance over the sweep's complete trials (per objective, with several)",
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('metric', { describe: "only this one of the sweep's objectives (several objectives)", type: 'string' })
      .option('db', dbOption)
      .option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = await findSweep(storage, args.sweep);
      const objectives = rankingOf(sweep, args.metric);
      // Judged on the trials that meet the constraints, for each objective by its own value and goal.
      const results = importanceByObjective(await storage.listTrials(sweep.id), sweepSpecOf(sweep).parameters, objectives);
      const several = objectives.metrics.length > 1;
      if (args.json) {
        println(io.stdout, JSON.stringify(several ? results : results[objectives.metrics[0]!.name], null, 2));
        return 0;
      }
      for (const m of objectives.metrics) {
        if (several) println(io.stdout, `${m.name} (${m.goal})`);
        printImportance(io.stdout, sweep.name, results[m.name]!);
      }
      return 0;
    }),
};

function printImportance(out: NodeJS.WritableStream, sweep: string, result: Importance): void {
  if (result.note) {
    // The report says the same instead of drawing bars: shares computed from nothing would read as findings.
    println(out, `${sweep}: ${result.note}; no importances yet`);
    return;
  }
  const bar = (v: number): string => '█'.repeat(Math.round(v * 30));
  println(out, render(['parameter', 'importance', ''], Object.entries(result.importances).map(([p, v]) => [p, v.toFixed(3), bar(v)])));
  println(out, `PED-ANOVA over ${result.trials} complete trial(s), the top ${result.topTrials} against all${result.trials < 10 ? '; with so few trials, read it as a rough guide' : ''}`);
}
