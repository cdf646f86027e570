/** Regression tests for the audit's D8 and D31: a closed stdout or terminal does not kill the sweep. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BIN, runCli, tempDir, writeFile } from '../helpers.js';
import { objective, programSweep, query, stateCounts } from '../sweeps.js';

describe('audit D8/D31: a closed stdout or terminal does not kill the sweep', () => {
  it('D8: `tfsweep run … | head -1`: the reader goes away and the sweep still finishes', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 3, 2);
    writeFile(dir, 'w.yaml', programSweep('w', 200));
    const child = spawn(process.execPath, [BIN, 'run', 'w.yaml', '--db', 'x.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const firstLine = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!)));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.match(firstLine, /^sweep w: random search/);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at /);
    assert.deepEqual(stateCounts(path.join(dir, 'x.db'), 'w'), { complete: 200 });
  });

  it('D31: SIGHUP stops like Ctrl-C (exit 129, trials interrupted, resumable)', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 5, 400);
    writeFile(dir, 'h.yaml', programSweep('h', 6));
    const child = spawn(process.execPath, [BIN, 'run', 'h.yaml', '--db', 'x.db'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const db = path.join(dir, 'x.db');
    const deadline = Date.now() + 30_000;
    while ((stateCounts(db, 'h').running ?? 0) === 0 && Date.now() < deadline) await delay(50);
    child.kill('SIGHUP');
    assert.equal(await exited, 129);
    const counts = stateCounts(db, 'h');
    assert.ok((counts.interrupted ?? 0) >= 1 && !counts.running && !counts.failed, JSON.stringify(counts));
    assert.deepEqual(query(db, 'SELECT state, owner FROM sweeps'), [{ state: 'stopped', owner: null }]);
    const resumed = await runCli(['run', 'h.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(stateCounts(db, 'h').complete, 6);
  });
});

