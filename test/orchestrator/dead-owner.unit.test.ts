/** Regression test for the audit's D21: a dead owner whose pid was reused does not block resume. */
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { tempDir, writeFile } from '../helpers.js';
import { cli, objective, programSweep, stateCounts } from '../sweeps.js';

describe('audit D21: a dead owner whose pid was reused does not block resume', () => {
  it('D21: an owner on this host with a live but unrelated pid and a stale heartbeat is taken over', async () => {
    const dir = tempDir();
    objective(dir);
    writeFile(dir, 'k.yaml', programSweep('k', 4));
    const half = writeFile(dir, 'k2.yaml', programSweep('k', 4));
    assert.equal((await cli(['run', half, '--db', 'x.db'], dir)).code, 0);
    const db = new Database(path.join(dir, 'x.db'));
    // As a kill -9 leaves it, with this (live, unrelated) test process's pid as the recorded owner.
    db.prepare("UPDATE trials SET state = 'running', value = NULL WHERE number >= 2").run();
    db.prepare("UPDATE sweeps SET state = 'running', owner = ?, heartbeat_at = '2020-01-01T00:00:00.000Z'").run(`${os.hostname()}/${process.pid}`);
    db.close();
    const status = await cli(['status', 'k', '--db', 'x.db'], dir);
    assert.match(status.stdout, /\(random, interrupted\)/);
    const r = await cli(['run', 'k.yaml', '--db', 'x.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resuming with 2 complete, 2 interrupted trial\(s\) will run again/);
    assert.equal(stateCounts(path.join(dir, 'x.db'), 'k').complete, 4);
  });
});
