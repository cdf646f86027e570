/**
 * One entry point from a database location to a Storage: a path or `sqlite:PATH` is a SQLite file;
 * `postgres://…` or `postgresql://…` is a PostgreSQL database. Anything else that looks like a URL
 * (`scheme://…`) is refused — it is never taken for a file path.
 */
import { SqliteStorage, type SqliteOptions } from './sqlite.js';
import type { Storage } from './storage.js';
import { parseLocation, type StorageLocation } from './location.js';

export { displayLocation, parseLocation, redactUrl, type StorageLocation } from './location.js';

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
