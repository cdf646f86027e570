/**
 * A worker thread that dies while it runs a trial (here: an objective that calls process.exit(), which ends
 * the thread as an out-of-memory would) is the sweep's failure, never the trial's: the sweep stops with one
 * line and exit 1, the trials that ran are interrupted (not failed, not counted towards
 * max_consecutive_failures), and the same command runs them again. A trial whose own code throws is still
 * the trial's failure.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir, writeFile } from '../helpers.js';
import { cli, programSweep, stateCounts } from '../sweeps.js';

describe('a worker thread that dies', () => {
  it('stops the sweep (exit 1, one line); its trial is interrupted, not failed, and runs again on resume', async () => {
    const dir = tempDir();
    // Trial 1 ends its thread while the flag file says so; trial 0 (and every trial after the fix) returns.
    writeFile(
      dir,
      'obj.mjs',
      `import { existsSync } from 'node:fs';
export default async (p, trial) => {
  if (trial.number === 1 && existsSync(${JSON.stringify(path.join(dir, 'die'))})) process.exit(3);
  await new Promise((r) => setTimeout(r, 200));
  return p.x;
};\n`,
    );
    writeFile(dir, 'die', '');
    writeFile(dir, 's.yaml', programSweep('d', 4, 'max_consecutive_failures: 1\n').replace('workers: 2', 'workers: 1'));
    const first = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(first.code, 1, first.stdout + first.stderr);
    assert.equal(first.stderr.trimEnd().split('\n').length, 1, first.stderr);
    assert.match(first.stderr, /^error: the worker thread running trial 1 ended \(.*\): not the trial's failure; the sweep stopped/);
    const db = path.join(dir, 'r.db');
    assert.deepEqual(stateCounts(db, 'd'), { complete: 1, interrupted: 1 });

    rmSync(path.join(dir, 'die'));
    const again = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(again.code, 0, again.stderr);
    // The interrupted trial ran again as itself.
    assert.deepEqual(stateCounts(db, 'd'), { complete: 4 });
  });

  it("a trial whose own code throws is the trial's failure, and the sweep goes on", async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async (p, trial) => { if (trial.number === 0) throw new Error("mine"); return p.x; };\n');
    writeFile(dir, 's.yaml', programSweep('t', 3));
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stateCounts(path.join(dir, 'r.db'), 't'), { complete: 3, failed: 1 });
  });
});

describe('a result the database refuses', () => {
  it('stops the sweep as a database failure (exit 1, one line), not as a worker or trial failure; the trial is interrupted', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'r.db');
    // The objective makes the real database refuse the trial's result: a trigger raises on the update that
    // records it complete, as a full disk would fail that write.
    writeFile(
      dir,
      'obj.mjs',
      `import { createRequire } from 'node:module';
const Database = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})('better-sqlite3');
export default async (p, trial) => {
  if (trial.number === 1) {
    const conn = new Database(${JSON.stringify(db)});
    conn.exec("CREATE TRIGGER refuse BEFORE UPDATE OF state ON trials WHEN NEW.state = 'complete' BEGIN SELECT RAISE(ABORT, 'the result cannot be written'); END");
    conn.close();
  }
  return p.x;
};\n`,
    );
    writeFile(dir, 's.yaml', programSweep('w', 3).replace('workers: 2', 'workers: 1'));
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: the database could not be written \(SQLITE_CONSTRAINT_TRIGGER: the result cannot be written\); the sweep stopped, and everything recorded before is kept/);
    assert.deepEqual(stateCounts(db, 'w'), { complete: 1, interrupted: 1 });
  });
});
