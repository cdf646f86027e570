/**
 * Regression tests for the second audit's lease defects, with real `tfsweep` processes on a real SQLite
 * file and a real PostgreSQL server: E1 (a finished sweep set back to stopped), E2 (a process judged by a
 * peer's lease settings; a process declared gone crashing), E6 (a process suspended while it holds the
 * database's lock stalling every other).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/open.js';
import { BIN, ROOT, tempDir, writeFile } from '../helpers.js';
import { PG_SKIP, PG_URL, pgSchemas } from '../postgres.js';

const schemas = pgSchemas('lease');

interface Proc {
  child: ChildProcess;
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Processes a test started and that have not exited: a failed test must not leave one suspended (the run would hang). */
const alive = new Set<ChildProcess>();

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, TFSWEEP_DB: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  child.on('exit', () => alive.delete(child));
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, out: () => text, done };
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

async function sweepState(db: string, name: string): Promise<{ state: string | null; states: Record<string, number>; configs: number; processes: number; gone: number }> {
  const storage = await openStorage(db, { readonly: true }).catch(() => null);
  if (!storage) return { state: null, states: {}, configs: 0, processes: 0, gone: 0 };
  try {
    const sweep = await storage.getSweep(name);
    if (!sweep) return { state: null, states: {}, configs: 0, processes: 0, gone: 0 };
    const trials = await storage.listTrials(sweep.id);
    const states: Record<string, number> = {};
    for (const t of trials) states[t.state] = (states[t.state] ?? 0) + 1;
    const rows = await storage.listProcesses(sweep.id);
    const processes = rows.filter((p) => p.state === 'running').length;
    const gone = rows.filter((p) => p.state === 'gone').length;
    return { state: sweep.state, states, configs: new Set(trials.filter((t) => t.state === 'complete').map((t) => t.configIndex)).size, processes, gone };
  } catch {
    return { state: null, states: {}, configs: 0, processes: 0, gone: 0 };
  } finally {
    await storage.close();
  }
}

/** The longest time after `since` (ms since the epoch) without a trial of the sweep ending: how long it stalled. */
async function longestGapAfter(db: string, name: string, since: number): Promise<number> {
  const storage = await openStorage(db, { readonly: true });
  try {
    const sweep = (await storage.getSweep(name))!;
    const ends = (await storage.listTrials(sweep.id)).map((t) => (t.endedAt ? Date.parse(t.endedAt) : NaN)).filter((e) => e > since).sort((a, b) => a - b);
    return Math.max(...ends.map((e, i) => e - (i ? ends[i - 1]! : since)));
  } finally {
    await storage.close();
  }
}

const NO_STACK = /\n\s+at |FinishedTrialError/;
const SHORT_LEASE = { TFSWEEP_HEARTBEAT_MS: '200', TFSWEEP_LEASE_GRACE_MS: '2000' };

/** A grid objective: configuration x sleeps `ms` per step (x = 1: `slowMs`). */
function sleeper(dir: string, ms = 30, slowMs = ms): void {
  writeFile(
    dir,
    'sleep.mjs',
    `export default async (p, trial) => { for (let s = 0; s < 3; s++) { trial.report(s, { value: p.x + s }); await new Promise((r) => setTimeout(r, p.x === 1 ? ${slowMs} : ${ms})); } return p.x; };\n`,
  );
}

/**
 * An objective that, in the process given TEST_LOCK (and once the file "go" exists), takes the database's
 * lock on a connection of its own process — SQLite's write lock, or PostgreSQL's sweep row in a session
 * bearing this process's application_name, as a claim holds it — and suspends the whole process.
 */
function lockingObjective(dir: string): void {
  const bs3 = path.join(ROOT, 'node_modules', 'better-sqlite3', 'lib', 'index.js');
  const pgModule = path.join(ROOT, 'node_modules', 'pg', 'esm', 'index.mjs');
  writeFile(
    dir,
    'lock.mjs',
    `import { existsSync, writeFileSync } from 'node:fs';
export default async (p, trial) => {
  if (process.env.TEST_LOCK && existsSync('go') && !existsSync('stopped')) {
    writeFileSync('stopped', String(process.pid));
    if (process.env.TEST_LOCK === 'sqlite') {
      const Database = (await import(${JSON.stringify(bs3)})).default;
      const db = new Database(process.env.TEST_LOCK_DB);
      db.pragma('busy_timeout = 30000');
      db.exec('BEGIN IMMEDIATE');
      process.kill(process.pid, 'SIGSTOP');
    } else {
      const pg = (await import(${JSON.stringify(pgModule)})).default;
      const options = '-c search_path=' + process.env.TEST_LOCK_SCHEMA;
      const probe = new pg.Client({ connectionString: process.env.TEST_LOCK_DB, options });
      await probe.connect();
      const { rows } = await probe.query("SELECT session FROM processes WHERE pid = $1 AND state = 'running' ORDER BY id DESC LIMIT 1", [process.pid]);
      await probe.end();
      const c = new pg.Client({ connectionString: process.env.TEST_LOCK_DB, options, application_name: rows[0].session });
      c.on('error', () => {});
      await c.connect();
      await c.query('BEGIN');
      await c.query('SELECT id FROM sweeps FOR UPDATE');
      process.kill(process.pid, 'SIGSTOP');
      await c.query('COMMIT').catch(() => {});
    }
  }
  for (let s = 0; s < 3; s++) { trial.report(s, { value: p.x + s }); await new Promise((r) => setTimeout(r, 30)); }
  return p.x;
};
`,
  );
}

interface Backend {
  name: string;
  skip: string | false;
  db(dir: string): string;
  /** What the locking objective needs to take this database's lock. */
  lockEnv(db: string): NodeJS.ProcessEnv;
}

const BACKENDS: Backend[] = [
  { name: 'SQLite', skip: false, db: (dir) => path.join(dir, 'x.db'), lockEnv: (db) => ({ TEST_LOCK: 'sqlite', TEST_LOCK_DB: db }) },
  {
    name: 'PostgreSQL',
    skip: PG_SKIP,
    db: () => schemas.url(),
    lockEnv: (db) => ({ TEST_LOCK: 'pg', TEST_LOCK_DB: PG_URL!, TEST_LOCK_SCHEMA: new URL(db).searchParams.get('schema')! }),
  },
];

afterEach(() => {
  for (const child of alive) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

after(() => schemas.drop());

for (const backend of BACKENDS) {
  describe(`leases between real processes (${backend.name})`, { skip: backend.skip }, () => {
    it('E1: a process that closes after another finished the sweep leaves it finished', async () => {
      const dir = tempDir();
      const db = backend.db(dir);
      sleeper(dir, 20, 1000);
      writeFile(dir, 'g.yaml', 'name: g4\nmethod: grid\nworkers: 1\nprogram: ./sleep.mjs\nmetric: {name: value, goal: minimize}\nparameters:\n  x: {values: [0, 1, 2]}\n');
      const a = start(['run', 'g.yaml', '--db', db], dir);
      await until('the first process to register', async () => (await sweepState(db, 'g4')).processes === 1);
      const b = start(['run', 'g.yaml', '--db', db], dir);
      await until('the sweep to finish', async () => (await sweepState(db, 'g4')).state === 'finished');
      // One of them finished it; the other may still be waiting (it had nothing to claim): Ctrl-C it.
      for (const p of [a, b]) if (p.child.exitCode === null) p.child.kill('SIGINT');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      const s = await sweepState(db, 'g4');
      assert.equal(s.state, 'finished', `${a.out()}\n${b.out()}`);
      assert.deepEqual(s.states, { complete: 3 });
      for (const [r, p] of [[ra, a], [rb, b]] as const) {
        assert.equal(r.code, 0, `${JSON.stringify(r)}\n${p.out()}`);
        assert.doesNotMatch(p.out(), /run the same command again to resume|\n\s+at /);
      }
    });

    it('E2: each process is judged by its own lease: a peer with a short grace does not declare a default process gone', async () => {
      const dir = tempDir();
      const db = backend.db(dir);
      sleeper(dir, 400);
      writeFile(dir, 'm.yaml', 'name: mixed\nmethod: grid\nworkers: 1\nprogram: ./sleep.mjs\nparameters:\n  x: {distribution: int_uniform, min: 2, max: 9}\n');
      // A heartbeats every 5 s (the default); B would call anything silent for 1 s gone.
      const a = start(['run', 'm.yaml', '--db', db], dir);
      await until('the first process to register', async () => (await sweepState(db, 'mixed')).processes === 1);
      const b = start(['run', 'm.yaml', '--db', db], dir, { TFSWEEP_HEARTBEAT_MS: '200', TFSWEEP_LEASE_GRACE_MS: '1000' });
      const [ra, rb] = await Promise.all([a.done, b.done]);
      assert.equal(ra.code, 0, a.out());
      assert.equal(rb.code, 0, b.out());
      const s = await sweepState(db, 'mixed');
      assert.deepEqual(s.states, { complete: 8 }, `${a.out()}\n${b.out()}`);
      assert.doesNotMatch(a.out() + b.out(), /declared gone|stopped heartbeating/);
    });

    it('E2: a process declared gone while suspended stops in one line when it wakes, without a stack trace', async () => {
      const dir = tempDir();
      const db = backend.db(dir);
      sleeper(dir, 300);
      writeFile(dir, 'z.yaml', 'name: zombie\nmethod: grid\nworkers: 1\nprogram: ./sleep.mjs\nparameters:\n  x: {distribution: int_uniform, min: 2, max: 13}\n');
      const a = start(['run', 'z.yaml', '--db', db], dir, SHORT_LEASE);
      await until('a trial of the first process', async () => ((await sweepState(db, 'zombie')).states.complete ?? 0) >= 1);
      const b = start(['run', 'z.yaml', '--db', db], dir, SHORT_LEASE);
      await until('the second process to register', async () => (await sweepState(db, 'zombie')).processes === 2);
      a.child.kill('SIGSTOP');
      // Its process row, not a trial: suspended between two trials it has none running to be interrupted.
      await until('the suspended process to be declared gone', async () => (await sweepState(db, 'zombie')).gone >= 1, 20_000);
      a.child.kill('SIGCONT');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      assert.equal(rb.code, 0, b.out());
      assert.doesNotMatch(a.out(), NO_STACK);
      // Stopped while it held the SQLite lock, it was ended by its peer instead (E6).
      if (ra.signal !== 'SIGKILL') {
        assert.ok(ra.code === 130 || ra.code === 0, `exit ${ra.code}: ${a.out()}`);
        if (ra.code === 130) assert.match(a.out(), /declared gone by another/);
      } else assert.match(b.out(), /ended process/);
      const s = await sweepState(db, 'zombie');
      assert.equal(s.state, 'finished');
      assert.equal(s.configs, 12);
    });

    it('E6: a process suspended while it holds the database lock stalls its peer no longer than its lease grace', async (t) => {
      const dir = tempDir();
      const db = backend.db(dir);
      lockingObjective(dir);
      writeFile(dir, 'l.yaml', 'name: lk\nmethod: grid\nworkers: 1\nprogram: ./lock.mjs\nparameters:\n  x: {distribution: int_uniform, min: 1, max: 40}\n');
      const a = start(['run', 'l.yaml', '--db', db], dir, { ...SHORT_LEASE, ...backend.lockEnv(db) });
      await until('a trial of the first process', async () => ((await sweepState(db, 'lk')).states.complete ?? 0) >= 2);
      const b = start(['run', 'l.yaml', '--db', db], dir, SHORT_LEASE);
      await until('the second process to register', async () => (await sweepState(db, 'lk')).processes === 2);
      writeFile(dir, 'go', '');
      await until('the first process to suspend itself holding the lock', () => existsSync(path.join(dir, 'stopped')));
      const stalledAt = Date.now();
      const rb = await b.done;
      const took = Date.now() - stalledAt;
      t.diagnostic(
        `${backend.name}: lease grace 2000 ms; after the holder suspended itself, the longest time without a trial ending was ${await longestGapAfter(db, 'lk', stalledAt)} ms, and the sweep ended ${took} ms after it`,
      );
      a.child.kill('SIGCONT');
      const ra = await a.done;
      assert.equal(rb.code, 0, b.out());
      assert.doesNotMatch(b.out() + a.out(), NO_STACK);
      const s = await sweepState(db, 'lk');
      assert.equal(s.state, 'finished', b.out());
      assert.equal(s.configs, 40);
      // The rest of the sweep (under 40 short trials) runs in a few seconds once the lock is free.
      assert.ok(took < 25_000, `the sweep stalled for ${took} ms`);
      if (backend.name === 'SQLite') {
        assert.match(b.out(), /warning: ended process .*suspended \(Ctrl-Z or SIGSTOP\) while holding the database's write lock/);
        assert.equal(ra.signal, 'SIGKILL');
      } else {
        assert.ok(ra.code === 0 || ra.code === 130, `exit ${ra.code}: ${a.out()}`);
      }
    });
  });
}

