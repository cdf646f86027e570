/**
 * The storage contract against a real PostgreSQL server: each test gets its own schema in the database
 * TFSWEEP_TEST_POSTGRES names (.ci/run starts a throwaway server and sets it). Without it these tests are
 * skipped and say why: there is no PostgreSQL server to test against outside CI unless one is started.
 */
import pg from 'pg';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { storageContract } from './contract.js';
import { PG_SKIP, PG_URL, pgSchemas } from '../postgres.js';

const schemas = pgSchemas('contract');

storageContract(
  'PostgreSQL',
  async () => {
    const url = schemas.url();
    const schema = new URL(url).searchParams.get('schema')!;
    const admin = new pg.Client({ connectionString: PG_URL! });
    await admin.connect();
    return {
      open: (options) => PostgresStorage.connect(url, options),
      setSchemaVersion: async (version) => {
        await admin.query(`UPDATE "${schema}".tfsweep_meta SET value = $1 WHERE key = 'schema_version'`, [version]);
      },
      schemaVersion: async () => Number((await admin.query(`SELECT value FROM "${schema}".tfsweep_meta WHERE key = 'schema_version'`)).rows[0]?.value ?? 0),
      cleanup: async () => {
        await admin.end();
        await schemas.drop();
      },
    };
  },
  PG_SKIP,
  { keepsModels: true },
);
