/**
 * Regression tests for the second audit's E3 (a PostgreSQL password printed) and M8 (libpq URL forms,
 * connection errors): where a database is, and how it is printed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { normalizePostgresUrl, parseLocation, redactUrl } from '../../src/storage/location.js';
import { tempDir, writeFile } from '../helpers.js';
import { cli, isOneLineError, objective, programSweep } from '../sweeps.js';
import { PG_SKIP, PG_URL, pgSchemas } from '../postgres.js';

describe('printing a database location', () => {
  it('E3: redacts the password of URLs that parse, that do not (a "/" in it), and in a password= parameter', () => {
    assert.equal(redactUrl('postgres://u:S3cret@h:5432/db'), 'postgres://u:***@h:5432/db');
    assert.equal(redactUrl('postgres://bob:bob/pw@127.0.0.1:5432/postgres'), 'postgres://bob:***@127.0.0.1:5432/postgres');
    assert.equal(redactUrl('postgres:///db?host=/s&user=u&password=S3cret'), 'postgres:///db?host=%2Fs&user=u&password=***');
    assert.equal(redactUrl('postgres://u@h/db'), 'postgres://u@h/db');
    for (const u of ['postgres://bob:bob/pw@h/db', 'postgres://x:p%40ss@h/db', 'mysql://u:S3cret/x@h/db']) assert.doesNotMatch(redactUrl(u), /S3cret|bob\/pw|p%40ss/);
  });

  it('E3: an unknown scheme is refused without echoing its password', () => {
    assert.throws(() => parseLocation('mysql://u:S3cret@h/db'), (err: Error) => !err.message.includes('S3cret') && /unknown database URL scheme/.test(err.message));
  });

  it("M8: libpq's empty-host form becomes one that URLs accept, user and password kept", () => {
    assert.equal(normalizePostgresUrl('postgres://user@/db?host=/socket/dir'), 'postgres:///db?host=/socket/dir&user=user');
    assert.equal(normalizePostgresUrl('postgresql://u:p%2Fw@/db'), 'postgresql:///db?user=u&password=p%2Fw');
    assert.equal(normalizePostgresUrl('postgres://u@h/db'), 'postgres://u@h/db');
    const url = new URL(normalizePostgresUrl('postgres://user:pw@/db?host=/s'));
    assert.equal(url.searchParams.get('password'), 'pw');
  });
});

const schemas = pgSchemas('loc');

describe('PostgreSQL locations on the command line', { skip: PG_SKIP }, () => {
  after(() => schemas.drop());

  it('E3: a run never prints the password of its --db URL, in the "more with" hint either', async () => {
    const dir = tempDir();
    objective(dir);
    writeFile(dir, 'pw.yaml', programSweep('pw', 2));
    const url = new URL(schemas.url());
    url.password = 'S3cretPw';
    const r = await cli(['run', 'pw.yaml', '--db', url.toString()], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /more with: tfsweep best pw --db 'postgres:\/\/postgres:\*\*\*@/);
    assert.doesNotMatch(r.stdout + r.stderr, /S3cretPw/);
  });

  it('M8: an unknown database is bad input: exit 2, one line saying so', async () => {
    const dir = tempDir();
    objective(dir);
    writeFile(dir, 'n.yaml', programSweep('n', 1));
    const url = new URL(PG_URL!);
    url.pathname = '/no_such_database_here';
    const r = await cli(['run', 'n.yaml', '--db', url.toString()], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, /does not exist; create it/);
  });
});
