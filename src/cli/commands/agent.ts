import { realpathSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import type { LoadedSpec } from '../../sweep-file/types.js';
import { shellQuote } from '../../core/text.js';
import { dbOption, integerOption, type Command } from '../command.js';
import { dbLocation, findSweep, openExisting, withStorage } from '../context.js';
import { MAX_WORKERS } from '../../orchestrator/run-sweep.js';
import { LOG_OPTION, MAX_TIME_OPTION, maxTimeOption, runSweepCommand } from './run.js';
import { sweepSpecOf } from '../../sweep-file/stored.js';

/** A path as the file system resolves it (symlinks followed), or null when nothing is there. */
function realPath(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

/**
 * A database is data, never instructions: the program a stored sweep names runs only when the person
 * starting the agent names the same file (`--program PATH`). Anyone who can write the database could
 * otherwise make every agent import any module on its machine.
 */
export function checkAgentProgram(sweepName: string, stored: string | undefined, given: string | undefined, cwd: string): void {
  if (!stored) {
    if (given !== undefined) throw new UsageError(`--program ${given}: sweep "${sweepName}" trains with the built-in trainer and runs no program`);
    return;
  }
  const how = `tfsweep agent ${shellQuote(sweepName)} --program ${shellQuote(stored)}`;
  if (given === undefined) {
    throw new UsageError(
      `sweep "${sweepName}" runs the program ${stored}, as its database says; an agent runs a program only when you name it: read it, then \`${how}\``,
    );
  }
  const mine = realPath(path.resolve(cwd, given));
  if (mine === null) throw new UsageError(`--program ${given}: no such file`);
  const theirs = realPath(stored);
  if (theirs === null) throw new UsageError(`sweep "${sweepName}" runs the program ${stored}, which is not on this machine`);
  if (mine !== theirs) throw new UsageError(`--program ${given} (${mine}) is not the program sweep "${sweepName}" runs (${stored}); nothing was run`);
}

export const agentCommand: Command<{ sweep: string; db?: string; workers?: number; top: number; 'max-time'?: string; program?: string; log: string }> = {
  command: 'agent <sweep>',
  describe: 'join a sweep stored in the database (started by `tfsweep run` elsewhere) and run its trials here',
  builder: (y) =>
    y
      .positional('sweep', { describe: 'sweep name', type: 'string', demandOption: true })
      .option('workers', { alias: 'w', describe: `parallel trials in this process (1–${MAX_WORKERS}; default: this machine's cores)`, type: 'number', requiresArg: true })
      .option('top', { describe: 'leaderboard rows to print at the end', type: 'number', default: 5, requiresArg: true })
      .option('db', dbOption)
      .option('program', { describe: "the sweep's objective module, for a sweep that runs one: it must be the file the database names", type: 'string', requiresArg: true })
      .check(integerOption('workers', 1, MAX_WORKERS))
      .check(integerOption('top', 0))
      .option('max-time', MAX_TIME_OPTION)
      .option('log', LOG_OPTION)
      .check(maxTimeOption),
  handler: async (args, io) => {
    // The sweep's definition comes from the database: every process runs exactly the same sweep. Opened for
    // writing (an agent writes anyway), which brings a database of an older tfsweep up to date first.
    const loaded = await withStorage(openExisting(dbLocation(io, args.db)), async (storage): Promise<LoadedSpec> => {
      const sweep = await findSweep(storage, args.sweep);
      if (sweep.state === 'finished') throw new UsageError(`sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})`);
      checkAgentProgram(sweep.name, sweepSpecOf(sweep).program ?? undefined, args.program, io.cwd);
      return { spec: sweepSpecOf(sweep), source: sweep.source, warnings: [], file: `${sweep.name} (from the database)` } as unknown as LoadedSpec;
    });
    return runSweepCommand(loaded, args, io);
  },
};
