/** What several commands share: where the database is, opening it, finding a sweep by name. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { closest } from 'fastest-levenshtein';
import { UsageError } from '../errors.js';
import { SqliteStorage } from '../storage/sqlite.js';
import type { SweepRecord } from '../storage/storage.js';
import { plannedTrialCount } from '../samplers/index.js';
import type { SweepSpec } from '../spec/types.js';
import type { CliIo } from './io.js';

export const DEFAULT_DB = path.join('results', 'tfsweep.db');

export function dbPath(io: CliIo, flag: string | undefined): string {
  if (flag !== undefined && flag.trim() === '') throw new UsageError('--db: expected a database file path, got an empty string');
  return path.resolve(io.cwd, flag ?? (io.env.TFSWEEP_DB || DEFAULT_DB));
}

/** Opens an existing database for reading; a query must not create an empty database as a side effect. */
export function openForReading(file: string): SqliteStorage {
  if (!existsSync(file)) throw new UsageError(`no tfsweep database at ${file}; run a sweep first, or pass --db PATH`);
  return new SqliteStorage(file, { mustExist: true, readonly: true });
}

export function findSweep(storage: SqliteStorage, name: string): SweepRecord {
  const sweep = storage.getSweep(name);
  if (sweep) return sweep;
  const names = storage.listSweeps().map((s) => s.name);
  const hint = names.length ? `; did you mean "${closest(name, names)}"? (sweeps: ${names.join(', ')})` : '; the database holds no sweeps yet';
  throw new UsageError(`no sweep named "${name}" in ${storage.file}${hint}`);
}

export function withStorage<T>(storage: SqliteStorage, fn: (s: SqliteStorage) => T): T {
  try {
    return fn(storage);
  } finally {
    storage.close();
  }
}

/** The planned trial count, or null when a stored spec cannot say (written by another version, edited). */
export function plannedOrNull(spec: SweepSpec): number | null {
  try {
    return plannedTrialCount(spec);
  } catch {
    return null;
  }
}
