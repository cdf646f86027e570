/**
 * One entry point from a database location to a Storage: a path or `sqlite:PATH` is a SQLite file;
 * `postgres://…` or `postgresql://…` is a PostgreSQL database. Anything else that looks like a URL
 * (`scheme://…`) is refused — it is never taken for a file path.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { SqliteStorage, type SqliteOptions } from './sqlite.js';
import type { Storage } from './storage.js';

export type StorageLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

const URL_LIKE = /^([a-z][a-z0-9+.-]*):\/\//i;

/** Where a `--db` value (or TFSWEEP_DB) points; relative SQLite paths are resolved against `cwd`. */
export function parseLocation(value: string, cwd: string = process.cwd()): StorageLocation {
  if (value.trim() === '') throw new UsageError('--db: expected a database file path or a postgres:// URL, got an empty string');
  const scheme = URL_LIKE.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { kind: 'postgres', url: value };
  if (scheme !== undefined) {
    throw new UsageError(`--db ${value}: unknown database URL scheme "${scheme}://"; expected a file path, sqlite:PATH, or postgres://USER@HOST/DATABASE`);
  }
  const file = value.startsWith('sqlite:') ? value.slice('sqlite:'.length) : value;
  if (file === '') throw new UsageError('--db sqlite:: expected a file path after "sqlite:"');
  return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(cwd, file) };
}

/** A location as it may be printed: a URL's password is never shown. */
export function displayLocation(location: StorageLocation): string {
  return location.kind === 'sqlite' ? location.file : redactUrl(location.url);
}

/** A URL with its password, if any, shown as `***` (also in a URL that does not parse). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

export interface OpenOptions {
  /** Open an existing database for reading only: never create, migrate or write. */
  readonly?: boolean;
}

export async function openStorage(location: string | StorageLocation, options: OpenOptions = {}): Promise<Storage> {
  const where = typeof location === 'string' ? parseLocation(location) : location;
  if (where.kind === 'sqlite') {
    const sqlite: SqliteOptions = options.readonly ? { mustExist: true, readonly: true } : {};
    return new SqliteStorage(where.file, sqlite);
  }
  const { PostgresStorage } = await import('./postgres.js');
  return PostgresStorage.connect(where.url, options);
}
