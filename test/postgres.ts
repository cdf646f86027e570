/**
 * The PostgreSQL server the tests may use (TFSWEEP_TEST_POSTGRES; .ci/run starts one and sets it): each test
 * takes fresh schemas of it, each a database of its own, and drops them when done.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_URL = process.env.TFSWEEP_TEST_POSTGRES;

/** Why PostgreSQL tests are skipped here, or false when a server is given. */
export const PG_SKIP: string | false = PG_URL ? false : 'no PostgreSQL server: set TFSWEEP_TEST_POSTGRES=postgres://… (.ci/run starts one and sets it)';

/** Hands out URLs of new schemas (named `prefix_…`); `drop()` removes every one handed out so far. */
export function pgSchemas(prefix: string): { url(): string; drop(): Promise<void> } {
  const names: string[] = [];
  return {
    url() {
      const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
      names.push(schema);
      const u = new URL(PG_URL!);
      u.searchParams.set('schema', schema);
      return u.toString();
    },
    async drop() {
      if (!PG_URL || !names.length) return;
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        for (const s of names.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
