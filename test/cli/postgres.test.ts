/**
 * The CLI on a PostgreSQL database: `--db postgres://…` (or TFSWEEP_DB) runs, resumes and queries a sweep
 * there, the same as on a SQLite file. Needs TFSWEEP_TEST_POSTGRES (.ci/run starts a server and sets it);
 * each test uses its own schema. Also: a URL of any other scheme is refused and creates nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, tempDir, writeFile } from '../helpers.js';
import { objective, programSweep } from '../hardening/util.js';
import { PG_SKIP, pgSchemas } from '../postgres.js';


describe('a database given by URL', () => {
  it('refuses an unknown scheme as a URL (exit 2, one line), never as a file path', async () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', programSweep('u', 2));
    objective(dir);
    for (const url of ['mysql://root@localhost/db', 'file:///tmp/x.db', 'sqlite3://x']) {
      const r = await cli(['run', 's.yaml', '--db', url], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /unknown database URL scheme/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.deepEqual(readdirSync(dir).sort(), ['obj.mjs', 's.yaml']);
  });

  it('takes sqlite:PATH as a SQLite file', async () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', programSweep('sq', 3));
    objective(dir);
    const r = await cli(['run', 's.yaml', '--db', 'sqlite:out/x.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(path.join(dir, 'out', 'x.db')));
    const best = await cli(['best', 'sq', '--db', 'sqlite:out/x.db', '--json'], dir);
    assert.equal(JSON.parse(best.stdout).length, 3);
  });
});

describe('the CLI on PostgreSQL', { skip: PG_SKIP }, () => {
  const schemas = pgSchemas('cli');
  const urlFor = (): string => schemas.url();
  after(() => schemas.drop());

  it('runs a sweep, resumes it, and answers list, status, best, trials and export from the server', async () => {
    const dir = tempDir();
    const url = urlFor();
    writeFile(dir, 's.yaml', programSweep('pgs', 6));
    objective(dir);
    const first = await cli(['run', 's.yaml', '--db', url], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /pgs: 6 trial\(s\) complete/);
    assert.doesNotMatch(first.stdout, /password/);
    // Nothing is written beside the sweep file: the data is on the server.
    assert.deepEqual(readdirSync(dir).sort(), ['obj.mjs', 's.yaml']);
    const again = await cli(['run', 's.yaml'], dir, { TFSWEEP_DB: url });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already finished/);
    const list = JSON.parse((await cli(['list', '--db', url, '--json'], dir)).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].counts.complete, 6);
    assert.equal(list[0].state, 'finished');
    const best = JSON.parse((await cli(['best', 'pgs', '--db', url, '--json', '--top', '2'], dir)).stdout);
    assert.equal(best.length, 2);
    assert.ok((list[0].goal === 'maximize' ? 1 : -1) * (best[0].value - best[1].value) >= 0, JSON.stringify(best));
    const trials = JSON.parse((await cli(['trials', 'pgs', '--db', url, '--json'], dir)).stdout);
    assert.equal(trials.length, 6);
    assert.deepEqual(trials[0].epochs.map((e: { epoch: number }) => e.epoch), [1, 2, 3]);
    const exported = await cli(['export', 'pgs', '--db', url, '--format', 'csv'], dir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout.trim().split('\n').length, 7);
    const status = await cli(['status', 'pgs', '--db', url], dir);
    assert.match(status.stdout, /6\/6 complete/);
  });

  it('says in one line (exit 1) when the server cannot be reached, naming it without its password', async () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', programSweep('down', 2));
    objective(dir);
    const r = await cli(['run', 's.yaml', '--db', 'postgres://someone:secret@127.0.0.1:1/nothing'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot use the PostgreSQL database postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing/);
    assert.doesNotMatch(r.stderr, /secret/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
