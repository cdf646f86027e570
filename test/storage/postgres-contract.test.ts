/**
 * The storage contract against a real PostgreSQL server: each test gets its own schema in the database
 * TFSWEEP_TEST_POSTGRES names (.ci/run starts a throwaway server and sets it). Without it these tests are
 * skipped and say why: there is no PostgreSQL server to test against outside CI unless one is started.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { storageContract } from './contract.js';

const base = process.env.TFSWEEP_TEST_POSTGRES;

function withSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('schema', schema);
  return u.toString();
}

storageContract(
  'PostgreSQL',
  async () => {
    const schema = `contract_${randomBytes(6).toString('hex')}`;
    const url = withSchema(base!, schema);
    const admin = new pg.Client({ connectionString: base! });
    await admin.connect();
    return {
      open: (options) => PostgresStorage.connect(url, options),
      setSchemaVersion: async (version) => {
        await admin.query(`UPDATE "${schema}".tfsweep_meta SET value = $1 WHERE key = 'schema_version'`, [version]);
      },
      schemaVersion: async () => Number((await admin.query(`SELECT value FROM "${schema}".tfsweep_meta WHERE key = 'schema_version'`)).rows[0]?.value ?? 0),
      cleanup: async () => {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  },
  base ? false : 'no PostgreSQL server: set TFSWEEP_TEST_POSTGRES=postgres://… (.ci/run starts one and sets it)',
);
