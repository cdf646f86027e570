/**
 * The `tfsweep` command line: a thin yargs layer over the library. `main(argv, io)` returns the exit code
 * (0 ok, 1 runtime failure, 2 bad input, 130 interrupted) and can be called in-process.
 *
 * The whole argument vector is parsed and checked before any command runs: yargs runs a command's handler
 * before its strict checks report an unknown flag, so handlers here only record what was chosen, and the
 * command runs once parsing has succeeded. A typo in a flag must never start (or write) a sweep.
 */
import yargs, { type Argv } from 'yargs';
import { closest, distance } from 'fastest-levenshtein';
import { SpecError, StorageError, UsageError, WorkerError, errorMessage } from '../errors.js';
import { clip, printable } from '../core/text.js';
import { SchemaVersionError } from '../storage/storage.js';
import { ArgCheckError, type Command } from './command.js';
import { agentCommand } from './commands/agent.js';
import { bestCommand } from './commands/best.js';
import { exportCommand } from './commands/export.js';
import { exportModelCommand } from './commands/export-model.js';
import { importanceCommand } from './commands/importance.js';
import { reportCommand } from './commands/report.js';
import { dashboardCommand } from './commands/dashboard.js';
import { listCommand } from './commands/list.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { trialsCommand } from './commands/trials.js';
import { validateCommand } from './commands/validate.js';
import { enqueueCommand } from './commands/enqueue.js';
import { noteCommand } from './commands/note.js';
import { renameCommand } from './commands/rename.js';
import { deleteCommand } from './commands/delete.js';
import { importCommand } from './commands/import.js';
import { copyCommand } from './commands/copy.js';
import { schemaCommand } from './commands/schema.js';
import { trialCommand } from './commands/trial.js';
import { guardStreams, processIo, println, type CliIo } from './io.js';

const COMMANDS = [runCommand, agentCommand, validateCommand, listCommand, statusCommand, stopCommand, trialsCommand, bestCommand, importanceCommand, reportCommand, dashboardCommand, exportCommand, exportModelCommand, enqueueCommand, importCommand, copyCommand, noteCommand, renameCommand, deleteCommand, schemaCommand, trialCommand] as unknown as Command<never>[];
const COMMAND_NAMES = COMMANDS.map((c) => c.command.split(' ')[0]!);

/** A first word that is no command: name the closest one rather than list it as an unknown argument. */
function unknownCommand(argv: readonly string[]): string | null {
  const first = argv[0];
  if (first === undefined || first.startsWith('-') || COMMAND_NAMES.includes(first) || first === 'help') return null;
  const guess = closest(first, COMMAND_NAMES);
  const hint = distance(first, guess) <= 2 ? `; did you mean "${guess}"?` : '';
  return `unknown command "${printable(first)}"${hint} (commands: ${COMMAND_NAMES.join(', ')})`;
}

/** Flags that are lists by design (`tfsweep trial --set a=1 --set b=2`). */
const LIST_FLAGS: ReadonlySet<string> = new Set(['set']);

/** A flag given twice arrives as an array; every other tfsweep flag takes one value. */
function repeatedFlag(args: Record<string, unknown>): string | null {
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || key === '$0' || key.length === 1 || LIST_FLAGS.has(key)) continue;
    if (Array.isArray(value)) return `--${key} was given ${value.length} times; give it once`;
  }
  return null;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  guardStreams(io);
  let usageError: string | undefined;
  let chosen: { cmd: Command<never>; args: Record<string, unknown> } | undefined;
  let parser: Argv = yargs(argv)
    .scriptName('tfsweep')
    .usage('$0 <command> [options]\n\nHyperparameter sweeps for TensorFlow.js models.')
    .strict()
    .demandCommand(1, 'name a command; see the list above')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, err) => {
      // yargs' own argument errors (YError) and our checks are usage errors; anything else is a bug.
      if (err && !(err instanceof ArgCheckError) && err.name !== 'YError') throw err;
      usageError ??= message ?? err?.message;
    });
  for (const cmd of COMMANDS) {
    parser = parser.command(cmd.command, cmd.describe, cmd.builder as never, (args: Record<string, unknown>) => {
      chosen = { cmd, args };
    });
  }
  try {
    usageError = unknownCommand(argv) ?? undefined;
    const output = usageError
      ? ''
      : await new Promise<string>((resolve, reject) => {
          parser
            .parseAsync(argv, {}, (err, _argv, out) => (err && !usageError ? reject(err) : resolve(out)))
            .catch((err: unknown) => (usageError ? resolve('') : reject(err)));
        });
    if (!usageError && chosen) usageError = repeatedFlag(chosen.args) ?? undefined;
    if (usageError) {
      if (!unknownCommand(argv)) println(io.stderr, await parser.getHelp());
      println(io.stderr, `${unknownCommand(argv) ? '' : '\n'}${usageError}`);
      return 2;
    }
    if (output) println(io.stdout, output);
    if (!chosen) return 0;
    return await chosen.cmd.handler(chosen.args as never, io);
  } catch (err) {
    return reportError(err, io);
  }
}

/** One line for every error a user can cause or meet; a stack trace only for what is tfsweep's own bug. */
function reportError(err: unknown, io: CliIo): number {
  if (err instanceof SpecError || err instanceof UsageError || err instanceof SchemaVersionError) {
    println(io.stderr, `error: ${clip(printable(errorMessage(err)), 2000)}`);
    return 2;
  }
  if (err instanceof StorageError || err instanceof WorkerError) {
    println(io.stderr, `error: ${printable(errorMessage(err))}`);
    return 1;
  }
  println(io.stderr, `error: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}`);
  return 1;
}
