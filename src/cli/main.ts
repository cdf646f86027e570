/**
 * The `tfsweep` command line: a thin yargs layer over the library. `main(argv, io)` returns the exit code
 * (0 ok, 1 runtime failure, 2 bad input, 130 interrupted) and can be called in-process.
 */
import yargs, { type Argv } from 'yargs';
import { SpecError, UsageError, errorMessage } from '../errors.js';
import { SchemaVersionError } from '../storage/sqlite.js';
import { ArgCheckError, type Command } from './command.js';
import { bestCommand } from './commands/best.js';
import { exportCommand } from './commands/export.js';
import { exportModelCommand } from './commands/export-model.js';
import { listCommand } from './commands/list.js';
import { runCommand } from './commands/run.js';
import { statusCommand } from './commands/status.js';
import { trialsCommand } from './commands/trials.js';
import { validateCommand } from './commands/validate.js';
import { processIo, println, type CliIo } from './io.js';

const COMMANDS = [runCommand, validateCommand, listCommand, statusCommand, trialsCommand, bestCommand, exportCommand, exportModelCommand] as unknown as Command<never>[];

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number | undefined;
  let usageError: string | undefined;
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
      if (err && !(err instanceof ArgCheckError)) throw err;
      usageError = message ?? err?.message;
    });
  for (const cmd of COMMANDS) {
    parser = parser.command(cmd.command, cmd.describe, cmd.builder as never, async (args: never) => {
      exitCode = await cmd.handler(args, io);
    });
  }
  try {
    const output = await new Promise<string>((resolve, reject) => {
      parser
        .parseAsync(argv, {}, (err, _argv, out) => (err && !usageError ? reject(err) : resolve(out)))
        .catch((err: unknown) => (usageError ? resolve('') : reject(err)));
    });
    if (usageError) {
      println(io.stderr, await parser.getHelp());
      println(io.stderr, `\n${usageError}`);
      return 2;
    }
    if (output) println(io.stdout, output);
    return exitCode ?? 0;
  } catch (err) {
    if (err instanceof SpecError || err instanceof UsageError) {
      println(io.stderr, `error: ${errorMessage(err)}`);
      return 2;
    }
    if (err instanceof SchemaVersionError) {
      println(io.stderr, `error: ${err.message}`);
      return 1;
    }
    println(io.stderr, `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
