import type { Argv } from 'yargs';
import type { CliIo } from './io.js';

/** A CLI command: its yargs definition and a handler that returns the exit code. */
export interface Command<A = Record<string, unknown>> {
  command: string;
  describe: string;
  builder: (y: Argv) => Argv<A>;
  handler: (args: A, io: CliIo) => Promise<number> | number;
}

export const dbOption = {
  describe: 'database: a SQLite file (or sqlite:PATH), or postgres://USER@HOST/DB[?schema=NAME] (default: $TFSWEEP_DB or results/tfsweep.db)',
  type: 'string',
  requiresArg: true,
} as const;

export const jsonOption = { describe: 'print JSON for scripts instead of a table', type: 'boolean', default: false } as const;

/** Thrown from a yargs `check`: reported like yargs' own argument errors (usage, then the message; exit 2). */
export class ArgCheckError extends Error {
  override name = 'ArgCheckError';
}

/** A yargs check that an option, when given, is an integer in [min, max]; yargs turns `abc` into NaN. */
export function integerOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER, label = `--${name}`) {
  return (args: Record<string, unknown>): true => {
    const value = args[name];
    if (value === undefined || Array.isArray(value)) return true;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
      const shown = typeof value === 'number' && Number.isNaN(value) ? 'something that is not a number' : String(value);
      throw new ArgCheckError(`${label}: expected ${range}, got ${shown}`);
    }
    return true;
  };
}

/** A yargs check that an option, when given, is an integer ≥ 1. */
export function positiveInteger(name: string) {
  return integerOption(name, 1);
}
