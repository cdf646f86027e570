/** What several commands share: where the database is, opening it, finding a sweep by name. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { closest } from 'fastest-levenshtein';
import { UsageError } from '../errors.js';
import { openStorage, parseLocation, type StorageLocation } from '../storage/open.js';
import type { Storage, SweepRecord } from '../storage/storage.js';
import type { CliIo } from './io.js';

export const DEFAULT_DB = path.join('results', 'tfsweep.db');

/** The database `--db` (else TFSWEEP_DB, else results/tfsweep.db) names: a SQLite file or a postgres:// URL. */
export function dbLocation(io: CliIo, flag: string | undefined): StorageLocation {
  return parseLocation(flag ?? (io.env.TFSWEEP_DB || DEFAULT_DB), io.cwd);
}

/** Opens an existing database for reading; a query must not create an empty database as a side effect. */
export async function openForReading(location: StorageLocation): Promise<Storage> {
  return openExisting(location, { readonly: true });
}

/** Opens a database that must exist already (a SQLite file is never created by a command that only joins). */
export async function openExisting(location: StorageLocation, options: { readonly?: boolean } = {}): Promise<Storage> {
  if (location.kind === 'sqlite' && !existsSync(location.file)) {
    throw new UsageError(`no tfsweep database at ${location.file}; run a sweep first, or pass --db PATH`);
  }
  return openStorage(location, options);
}

export async function findSweep(storage: Storage, name: string): Promise<SweepRecord> {
  const sweep = await storage.getSweep(name);
  if (sweep) return sweep;
  const names = (await storage.listSweeps()).map((s) => s.name);
  const hint = names.length ? `; did you mean "${closest(name, names)}"? (sweeps: ${names.join(', ')})` : '; the database holds no sweeps yet';
  throw new UsageError(`no sweep named "${name}" in ${storage.location}${hint}`);
}

/** Runs `fn` with the storage open, and closes it however `fn` ends. */
export async function withStorage<T>(opening: Promise<Storage>, fn: (s: Storage) => Promise<T>): Promise<T> {
  const storage = await opening;
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

export { plannedOrNull } from '../samplers/index.js';
