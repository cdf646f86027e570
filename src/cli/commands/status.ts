import { printable } from '../../core/text.js';
import { formatNumber, formatParams } from '../../report/format.js';
import { isLive } from '../../core/ownership.js';
import { summarize } from '../../report/leaderboard.js';
import { dbOption, jsonOption, type Command } from '../command.js';
import { dbLocation, findSweep, openForReading, withStorage, plannedOrNull } from '../context.js';
import { println } from '../io.js';
import { UsageError } from '../../errors.js';
import { resolveTrainConfig } from '../../trainer/knobs.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

export const statusCommand: Command<{ sweep?: string; db?: string; json: boolean }> = {
  command: 'status [sweep]',
  describe: 'show how far a sweep has got (default: the most recently active sweep)',
  builder: (y) =>
    y.positional('sweep', { describe: 'sweep name', type: 'string' }).option('db', dbOption).option('json', jsonOption),
  handler: (args, io) =>
    withStorage(openForReading(dbLocation(io, args.db)), async (storage) => {
      const sweep = args.sweep
        ? await findSweep(storage, args.sweep)
        : (await storage.listSweeps()).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
      if (!sweep) throw new UsageError('the database holds no sweeps yet');
      const trials = await storage.listTrials(sweep.id, { withEpochs: true });
      const processes = (await storage.listProcesses(sweep.id)).filter(isLive);
      const summary = summarize(sweep, trials, plannedOrNull(sweepSpecOf(sweep)), processes.length);
      const running = summary.processes ? trials.filter((t) => t.state === 'running') : [];
      const processViews = processes.map((p) => ({
        host: p.host,
        pid: p.pid,
        workers: p.workers,
        running_trials: p.runningTrials,
        last_heartbeat_s: Math.round(p.silentMs / 100) / 10,
        started_at: p.startedAt,
        ...(p.stop ? { stop_requested: p.stop } : {}),
      }));
      // Every execution of a repeated trial trains for `epochs`.
      const epochsOf = (params: (typeof trials)[number]['params']): number | string => {
        try {
          return resolveTrainConfig(sweepSpecOf(sweep).train, params).epochs * (sweepSpecOf(sweep).executions_per_trial ?? 1);
        } catch {
          return '?'; // a stored spec this tfsweep cannot read
        }
      };
      if (args.json) {
        const total = (t: (typeof running)[number]) => (sweepSpecOf(sweep).program ? null : epochsOf(t.params));
        const runningView = running.map((t) => ({ number: t.number, params: t.params, epochs_done: t.epochs?.length ?? 0, epochs: total(t) }));
        println(io.stdout, JSON.stringify({ ...summary, running: runningView, process_list: processViews }, null, 2));
        return 0;
      }
      const c = summary.counts;
      println(io.stdout, `sweep    ${printable(summary.name)} (${summary.method}, ${summary.state}${summary.processes ? `, ${summary.processes} process(es)` : ''})`);
      const goals = summary.goal.split(', ');
      println(io.stdout, `${summary.pareto_size !== undefined ? 'metrics ' : 'metric  '} ${summary.metric.split(', ').map((m, i) => `${printable(m)} (${goals[i]})`).join(', ')}`);
      println(io.stdout, `trials   ${c.complete + c.pruned}/${summary.planned ?? '∞'} finished: ${c.complete} complete, ${c.pruned} pruned; ${c.running} running, ${c.failed} failed, ${c.interrupted} interrupted`);
      if (summary.pareto_size !== undefined) println(io.stdout, `front    ${summary.pareto_size} Pareto-optimal trial(s) (tfsweep best ${printable(summary.name)} lists them)`);
      else println(io.stdout, `best     ${summary.best === null ? '–' : `${formatNumber(summary.best)} (trial ${summary.best_trial})`}`);
      if (summary.message) println(io.stdout, `message  ${printable(summary.message)}`);
      if (summary.note) println(io.stdout, `note     ${printable(summary.note)}`);
      for (const p of processViews) {
        const stop = p.stop_requested ? `, asked to stop${p.stop_requested === 'now' ? ' now' : ''}` : '';
        println(io.stdout, `process  ${printable(p.host)}/${p.pid}: ${p.workers} worker(s), ${p.running_trials} running, last heartbeat ${p.last_heartbeat_s} s ago${stop}`);
      }
      for (const t of running) {
        const progress = sweepSpecOf(sweep).program ? `${t.epochs?.length ?? 0} step(s) reported` : `epoch ${t.epochs?.length ?? 0}/${epochsOf(t.params)}`;
        println(io.stdout, `running  trial ${t.number}: ${progress} ${formatParams(t.params)}`);
      }
      return 0;
    }),
};
