/** The storage contract against SQLite: a fresh file per test; more connections are more handles on it. */
import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { tempDir } from '../helpers.js';
import { storageContract } from './contract.js';

storageContract('SQLite', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'contract.db');
  return {
    open: async (options) => new SqliteStorage(file, options?.readonly ? { mustExist: true, readonly: true } : {}),
    setSchemaVersion: async (version) => {
      const db = new Database(file);
      db.pragma(`user_version = ${version}`);
      db.close();
    },
    schemaVersion: async () => {
      const db = new Database(file, { readonly: true });
      const v = db.pragma('user_version', { simple: true }) as number;
      db.close();
      return v;
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
