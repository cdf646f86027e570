import { parseDuration } from '../../sweep-file/duration.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_WORKERS, modelsDirFor, preflight, runSweep } from '../../orchestrator/run-sweep.js';
import { paretoRows, quietMetrics, rankTrials } from '../../report/leaderboard.js';
import { isMultiObjective, objectivesOf } from '../../core/metric.js';
import { createProgressReporter } from '../../report/progress.js';
import { leaderboardTable } from '../../report/tables.js';
import { loadSpecFile } from '../../sweep-file/load.js';
import { openStorage } from '../../storage/open.js';
import { shellQuote } from '../../core/text.js';
import { ArgCheckError, dbOption, integerOption, positiveInteger, type Command } from '../command.js';
import { dbLocation } from '../context.js';
import { println, type CliIo } from '../io.js';
import { jsonLogLine } from '../../report/json-log.js';
import type { SweepEvent, SweepOutcome } from '../../orchestrator/events.js';
import type { Storage } from '../../storage/storage.js';
import type { LoadedSpec } from '../../sweep-file/types.js';

export const DEFAULT_SWEEP = path.join('sweeps', 'mnist-quick.yaml');
const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Without a FILE, the default sweep from the working directory, else the one shipped with tfsweep. */
function defaultSweepFile(cwd: string): string {
  const local = path.resolve(cwd, DEFAULT_SWEEP);
  return existsSync(local) ? local : path.join(PACKAGE_ROOT, DEFAULT_SWEEP);
}

const EXIT = { finished: 0, 'already-finished': 0, stopped: 1, interrupted: 130 } as const;

/** `--max-time 8h`: seconds, or a message saying what was expected (exit 2). */
export function maxTimeOption(args: { 'max-time'?: unknown }): true {
  if (args['max-time'] === undefined) return true;
  const parsed = parseDuration(args['max-time']);
  if (typeof parsed === 'string') throw new ArgCheckError(`--max-time: ${parsed}`);
  return true;
}

/** `--log json`: one JSON object per line, for log collectors. */
export const LOG_OPTION = { describe: 'text: progress and tables (default); json: one JSON object per line for each event, then the result', choices: ['text', 'json'], default: 'text' } as const;

export const MAX_TIME_OPTION = {
  describe: 'no new trial starts after this long (running ones finish): 3600 (seconds), 90m, 8h; overrides the file\'s max_time',
  type: 'string',
  requiresArg: true,
} as const;

export const runCommand: Command<{ file?: string; workers?: number; db?: string; top: number; 'max-time'?: string; log: string }> = {
  command: 'run [file]',
  describe: `start a sweep, or resume it if one of that name is unfinished (default file: ${DEFAULT_SWEEP})`,
  builder: (y) =>
    y
      .positional('file', { describe: 'sweep file (YAML or JSON)', type: 'string' })
      .option('workers', { alias: 'w', describe: `parallel trials, 1–${MAX_WORKERS} (default: the file's workers, else one per core)`, type: 'number', requiresArg: true })
      .check(integerOption('workers', 1, MAX_WORKERS))
      .option('db', dbOption)
      .option('top', { describe: 'rows of the leaderboard printed at the end', type: 'number', default: 10, requiresArg: true })
      .check(positiveInteger('top'))
      .option('max-time', MAX_TIME_OPTION)
      .option('log', LOG_OPTION)
      .check(maxTimeOption),
  handler: async (args, io) => {
    const file = args.file ? path.resolve(io.cwd, args.file) : defaultSweepFile(io.cwd);
    // The file is read and validated before the database is opened: a bad file writes nothing.
    const shownAs = args.file ?? (path.relative(io.cwd, file) || file);
    const loaded = loadSpecFile(file, shownAs);
    for (const warning of loaded.warnings) println(io.stderr, `warning: ${shownAs}: ${warning}`);
    return runSweepCommand(loaded, args, io);
  },
};

/**
 * Runs (creates, resumes or joins) a sweep in this process until no trial is left for it, printing progress
 * and the leaderboard: `tfsweep run` with a sweep file, `tfsweep agent` with the definition stored in the
 * database.
 */
export async function runSweepCommand(loaded: LoadedSpec, args: { workers?: number; db?: string; top: number; 'max-time'?: string; log?: string }, io: CliIo): Promise<number> {
  {
    // Before the database is opened: a program that cannot load or a dataset that cannot be read writes nothing.
    await preflight(loaded);
    const storage = await openStorage(dbLocation(io, args.db));
    const json = args.log === 'json';
    // JSON lines: nothing but whole lines on stdout (a log collector parses each on its own).
    const progress = json ? { listener: (e: SweepEvent) => println(io.stdout, jsonLogLine(e)), stop: () => {} } : createProgressReporter({ out: io.stdout, tty: io.tty });
    const controller = new AbortController();
    // A scheduler's SIGTERM (Slurm before a time limit, Kubernetes evicting a pod): no new trials, running ones
    // finish, as `tfsweep stop` asks; a second SIGTERM (or Ctrl-C) interrupts them.
    const draining = new AbortController();
    let drained = false;
    let processId: number | null = null;
    let signals = 0;
    let hangup = false;
    /**
     * The sweep has ended and the command is printing its results and closing: a first signal then changes
     * nothing (the exit code says how the sweep ended); a second quits at once.
     */
    let ended = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (ended) {
        if (signals > 1) process.exit(130);
        return;
      }
      // The terminal closed: stop as for Ctrl-C (trials interrupted, resumable); the output has nowhere to go.
      if (signal === 'SIGHUP') hangup = true;
      if (signals === 1 && signal === 'SIGTERM') {
        drained = true;
        println(io.stderr, '\nstopping (SIGTERM): no new trials; running trials finish (SIGTERM or Ctrl-C again to interrupt them)');
        draining.abort();
      } else if (signals === 1 || (signals === 2 && drained)) {
        println(io.stderr, '\nstopping: no new trials; running trials will be marked interrupted (Ctrl-C again to quit at once)');
        controller.abort();
      } else {
        // A second Ctrl-C: record what was running as interrupted and leave now.
        // Only this process's trials: other processes of the sweep go on.
        const code = hangup ? 129 : 130;
        (processId === null ? Promise.resolve(0) : storage.endProcess(processId))
          .then(() => storage.close())
          .finally(() => process.exit(code));
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    try {
      const outcome = await runSweep({
        loaded,
        storage,
        ...(args.workers !== undefined ? { workers: args.workers } : {}),
        ...(args['max-time'] !== undefined ? { maxTime: parseDuration(args['max-time']) as number } : {}),
        signal: controller.signal,
        drain: draining.signal,
        onEvent: (event) => {
          if (event.type === 'sweep-start') processId = event.processId;
          progress.listener(event);
        },
        // Models go beside the database: results/<sweep>/trial-NNNN/ for the default database.
        // A SQLite file keeps models in folders beside it; a server database keeps them itself.
        ...(storage.localFile ? { modelsDir: modelsDirFor(storage.localFile, loaded.spec.name) } : {}),
      });
      ended = true;
      progress.stop();
      if (json) {
        println(io.stdout, await resultLine(outcome, storage, args.top));
        if (outcome.budget || (outcome.status === 'stopped' && (outcome.stopRequested === 'drain' || drained))) return 0;
        return EXIT[outcome.status];
      }
      await printResults(outcome, storage, args, io);
      if (outcome.status === 'finished' && (outcome.failed || outcome.unsavedModels)) {
        println(io.stderr, `warning: ${outcome.sweep.name}: ${outcome.message}; see \`tfsweep trials ${shellQuote(outcome.sweep.name)}\` for the errors`);
      }
      if (outcome.status === 'interrupted' && hangup) return 129;
      // A budget that ran out (max_time), or `tfsweep stop` letting running trials finish, ends the run as
      // asked: not an error.
      if (outcome.budget || (outcome.status === 'stopped' && (outcome.stopRequested === 'drain' || drained))) return 0;
      return EXIT[outcome.status];
    } finally {
      progress.stop();
      // The handlers stay until the database is closed: a Ctrl-C while it closes must not kill the process
      // with a signal instead of its exit code.
      await storage.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onSignal);
    }
  }
}

/** `--log json`'s last line: how the run ended, and the best trials. */
async function resultLine(outcome: SweepOutcome, storage: Storage, top: number): Promise<string> {
  const best = rankTrials(outcome.sweep, await storage.listTrials(outcome.sweep.id)).slice(0, top);
  return JSON.stringify({
    time: new Date().toISOString(),
    event: 'result',
    sweep: outcome.sweep.name,
    status: outcome.status,
    message: outcome.message,
    best: best.map(({ rank, number, params, value, metrics }) => ({ rank, number, params, value, metrics })),
  });
}

/** The end of a text run: how it ended, the leaderboard (several objectives: the Pareto front), where it is kept. */
async function printResults(outcome: SweepOutcome, storage: Storage, args: { db?: string; top: number }, io: CliIo): Promise<void> {
  println(io.stdout, `${outcome.sweep.name}: ${outcome.message}`);
  const trials = await storage.listTrials(outcome.sweep.id, { withEpochs: true });
  // Several objectives: the whole Pareto front (each of its trials is a best for some trade-off).
  const multi = isMultiObjective(objectivesOf(outcome.sweep.spec));
  const rows = multi ? paretoRows(outcome.sweep, trials) : rankTrials(outcome.sweep, trials).slice(0, args.top);
  if (!rows.length) return;
  if (multi) println(io.stdout, `Pareto front: ${rows.length} trial(s) that no other complete trial beats on every objective`);
  println(io.stdout, leaderboardTable(rows, outcome.sweep.metric.name, quietMetrics(outcome.sweep)));
  // The location as printed: a password in a URL is never shown, here either.
  const dbFlag = args.db ? ` --db ${shellQuote(storage.localFile ? args.db : storage.location)}` : '';
  const name = shellQuote(outcome.sweep.name);
  println(io.stdout, `saved in ${storage.location}; more with: tfsweep best ${name}${dbFlag}, tfsweep export ${name}${dbFlag}`);
}
