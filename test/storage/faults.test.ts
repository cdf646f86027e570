/**
 * Regression tests for the audit's storage fault and concurrency defects (D1, D9, D10, D11, D12): real
 * processes, a real SQLite file shared between them, real disk-full filesystems (tmpfs, as root).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { IS_ROOT, cli, folderWithSweep, isOneLineError, mountTmpfs, objective, programSweep, query, remount, stateCounts } from '../sweeps.js';

function tryMount(dir: string, size: string): (() => void) | null {
  if (!IS_ROOT) return null;
  try {
    return mountTmpfs(dir, size);
  } catch {
    return null;
  }
}

describe('audit D1/D10: processes sharing one database wait for each other', () => {
  it('D1: two different sweeps on one database at once both finish, with no trial failed or lost', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 20, 5);
    writeFile(dir, 'r.yaml', programSweep('r', 2));
    assert.equal((await runCli(['run', 'r.yaml', '--db', 'x.db'], { cwd: dir })).code, 0);
    writeFile(dir, 'g.yaml', 'name: g\nmethod: grid\nworkers: 2\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: int_uniform, min: 1, max: 80}\n');
    writeFile(dir, 'r2.yaml', programSweep('r2', 80).replace('seed: 3', 'seed: 2'));
    const [g, r2] = await Promise.all([runCli(['run', 'g.yaml', '--db', 'x.db'], { cwd: dir }), runCli(['run', 'r2.yaml', '--db', 'x.db'], { cwd: dir })]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    const db = path.join(dir, 'x.db');
    assert.deepEqual(stateCounts(db, 'g'), { complete: 80 });
    assert.deepEqual(stateCounts(db, 'r2'), { complete: 80 });
    assert.equal(query<{ n: number }>(db, "SELECT COUNT(DISTINCT t.config_index) AS n FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'g'")[0]!.n, 80);
  });

  it('D10: two runs creating a new database at once: both run the one sweep together, each trial once', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 3, 20);
    writeFile(dir, 'k.yaml', programSweep('k', 4).replace('workers: 2', 'workers: 1'));
    for (let round = 0; round < 6; round++) {
      const db = path.join(`d${round}`, 'k.db');
      const both = await Promise.all([runCli(['run', 'k.yaml', '--db', db], { cwd: dir }), runCli(['run', 'k.yaml', '--db', db], { cwd: dir })]);
      for (const r of both) {
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /already exists|locked|\n\s+at /);
      }
      assert.deepEqual(stateCounts(path.join(dir, db), 'k'), { complete: 4 });
      assert.equal(query<{ n: number }>(path.join(dir, db), 'SELECT COUNT(DISTINCT config_index) AS n FROM trials')[0]!.n, 4);
    }
  });
});

describe('audit D11: a read while a sweep runs is one snapshot', () => {
  it('D11: every complete trial read during a run has all its epochs, every trial its params', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 20, 0);
    writeFile(dir, 'w.yaml', programSweep('w', 150));
    const writer = runCli(['run', 'w.yaml', '--db', 'x.db'], { cwd: dir });
    let done = false;
    void writer.then(() => (done = true));
    const db = path.join(dir, 'x.db');
    let snapshots = 0;
    while (!done) {
      await delay(20);
      if (!existsSync(db)) continue;
      let storage: SqliteStorage;
      try {
        storage = new SqliteStorage(db, { mustExist: true, readonly: true });
      } catch {
        continue; // not migrated yet
      }
      const sweep = await storage.getSweep('w');
      if (sweep) {
        for (const t of await storage.listTrials(sweep.id, { withEpochs: true })) {
          if (t.state === 'complete') assert.equal(t.epochs!.length, 20, `trial ${t.number} complete with ${t.epochs!.length} epochs`);
          assert.deepEqual(Object.keys(t.params), ['x'], `trial ${t.number} without params`);
        }
        snapshots++;
      }
      await storage.close();
    }
    assert.equal((await writer).code, 0);
    assert.ok(snapshots >= 3, `${snapshots} snapshots`);
  });
});

describe('audit D9: a full disk under the database stops the sweep cleanly', () => {
  it('D9: one line, exit 1, nothing lost; after freeing space the sweep resumes to its run_cap', async (t) => {
    const dir = tempDir();
    const mnt = path.join(dir, 'mnt');
    mkdirSync(mnt);
    const unmount = tryMount(mnt, '1m');
    if (!unmount) return t.skip('needs root to mount a 1 MB tmpfs');
    try {
      writeFile(
        dir,
        'fill.mjs',
        "export default async (p, trial) => { const m = {}; for (let k = 0; k < 40; k++) m['metric_with_a_rather_long_name_' + k] = p.x * k;\n" +
          '  for (let e = 1; e <= 20; e++) trial.report(e, { value: p.x, ...m }); await new Promise((r) => setTimeout(r, 5)); return p.x; };\n',
      );
      writeFile(dir, 'full.yaml', programSweep('full', 60, '', './fill.mjs'));
      const full = await runCli(['run', 'full.yaml', '--db', 'mnt/x.db'], { cwd: dir });
      assert.equal(full.code, 1, full.stdout + full.stderr);
      assert.match(full.stderr, /^error: the database could not be written \(SQLITE_FULL: database or disk is full\); the sweep stopped/);
      assert.equal(full.stderr.trim().split('\n').length, 1, full.stderr);
      remount(mnt, 'size=64m');
      const again = await runCli(['run', 'full.yaml', '--db', 'mnt/x.db'], { cwd: dir });
      assert.equal(again.code, 0, again.stderr);
      const db = path.join(mnt, 'x.db');
      assert.equal(stateCounts(db, 'full').complete, 60);
      assert.equal(stateCounts(db, 'full').failed, undefined);
      assert.equal(query<{ n: number }>(db, "SELECT COUNT(DISTINCT config_index) AS n FROM trials WHERE state = 'complete'")[0]!.n, 60);
      assert.deepEqual(query(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      unmount();
    }
  });
});

describe('audit D12: results on read-only media can be read', () => {
  it('D12: a cleanly closed WAL database on a read-only bind mount is listed and ranked; run says it cannot write', async (t) => {
    const dir = await folderWithSweep('ro/x.db');
    const ro = path.join(dir, 'ro');
    assert.ok(!existsSync(path.join(ro, 'x.db-wal')) || query(path.join(ro, 'x.db'), 'PRAGMA wal_checkpoint(TRUNCATE)'));
    if (!IS_ROOT) return t.skip('needs root for a read-only bind mount');
    const { execFileSync } = await import('node:child_process');
    try {
      execFileSync('mount', ['--bind', ro, ro]);
      execFileSync('mount', ['-o', 'remount,bind,ro', ro]);
    } catch {
      return t.skip('bind mounts are not allowed here');
    }
    try {
      const list = await cli(['list', '--db', 'ro/x.db', '--json'], dir);
      assert.equal(list.code, 0, list.stderr);
      assert.equal((JSON.parse(list.stdout) as Array<{ counts: { complete: number } }>)[0]!.counts.complete, 3);
      const best = await cli(['best', 'p', '--db', 'ro/x.db', '--json'], dir);
      assert.equal(best.code, 0, best.stderr);
      const run = await cli(['run', 'p.yaml', '--db', 'ro/x.db'], dir);
      assert.ok(isOneLineError(run), run.stderr);
      assert.match(run.stderr, /cannot write the database/);
    } finally {
      execFileSync('umount', [ro]);
    }
  });
});

