/**
 * Regression tests for the audit's fault and concurrency defects (D1, D8, D9, D10, D11, D12, D20, D21, D31):
 * real processes, a real SQLite file shared between them, real disk-full filesystems (tmpfs, as root).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { BIN, runCli, tempDir, writeFile } from '../helpers.js';
import { IS_ROOT, cli, folderWithSweep, isOneLineError, mountTmpfs, objective, programSweep, query, remount, stateCounts } from './util.js';

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

describe('audit D20: the objective\'s top level never runs in tfsweep\'s own thread', () => {
  const dir = tempDir();
  const cases: Array<[string, string, RegExp]> = [
    ['exit', 'process.exit(0);', /its loading ended the thread \(exit code 0\)/],
    ['tla', 'await new Promise(() => {});', /its loading ended the thread \(exit code 13\)|did not finish loading/],
    ['loop', 'while (true) {}', /did not finish loading within 2 s/],
    ['weird', 'throw { weird: true };', /a non-Error value was thrown: \{"weird":true\}/],
  ];
  for (const [name, top, message] of cases) {
    it(`D20: a module whose top level does ${top} is refused with exit 2 and no database`, async () => {
      writeFile(dir, `${name}.mjs`, `${top}\nexport default (p) => p.x;\n`);
      writeFile(dir, `${name}.yaml`, programSweep(name, 2, '', `./${name}.mjs`));
      const r = await runCli(['run', `${name}.yaml`, '--db', `${name}.db`], { cwd: dir, env: { TFSWEEP_IMPORT_TIMEOUT_MS: '2000' } });
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(path.join(dir, `${name}.db`)));
    });
  }

  it('D20: a module that replaces JSON.stringify at its top level cannot change what tfsweep stores', async () => {
    writeFile(dir, 'pwn.mjs', "JSON.stringify = () => '\"pwned\"';\nexport default (p) => p.x;\n");
    writeFile(dir, 'pwn.yaml', programSweep('pwn', 3, '', './pwn.mjs'));
    const r = await runCli(['run', 'pwn.yaml', '--db', 'pwn.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const db = path.join(dir, 'pwn.db');
    for (const row of query<{ v: string }>(db, 'SELECT value_json AS v FROM trial_params')) assert.ok(Number(row.v) >= 0 && Number(row.v) <= 1, row.v);
    assert.match(query<{ s: string }>(db, 'SELECT spec_json AS s FROM sweeps')[0]!.s, /^\{"name":"pwn"/);
    assert.equal((await runCli(['list', '--db', 'pwn.db'], { cwd: dir })).code, 0);
  });
});

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
