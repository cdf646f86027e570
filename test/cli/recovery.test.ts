import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { BIN, runCli, tempDir, writeFile } from '../helpers.js';

interface Row {
  id: number;
  number: number;
  config_index: number;
  state: string;
  value: number | null;
  ended_at: string | null;
  params: string;
  epochs: number;
}

function readTrials(db: string): Row[] {
  if (!existsSync(db)) return [];
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare(
        `SELECT t.id, t.number, t.config_index, t.state, t.value, t.ended_at,
           (SELECT json_group_object(name, json(value_json)) FROM trial_params p WHERE p.trial_id = t.id) AS params,
           (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs
         FROM trials t ORDER BY t.number`,
      )
      .all() as Row[];
  } catch {
    return []; // the schema may not exist yet in the first milliseconds
  } finally {
    conn.close();
  }
}

function integrity(db: string): string {
  const conn = new Database(db, { readonly: true });
  try {
    return conn.pragma('integrity_check', { simple: true }) as string;
  } finally {
    conn.close();
  }
}

/** Starts `tfsweep run` and waits until `ready(trials)` holds, polling the database as another reader would. */
async function startAndWait(dir: string, args: string[], ready: (rows: Row[]) => boolean) {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const db = path.join(dir, 'run.db');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const rows = readTrials(db);
    if (ready(rows)) break;
    if (child.exitCode !== null) assert.fail(`the sweep ended before the test could interrupt it:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      assert.fail(`timed out waiting:\n${output}`);
    }
    await delay(50);
  }
  return { child, exited, db, output: () => output };
}

const sweep = (name: string) => `name: ${name}
method: random
seed: 21
run_cap: 6
parameters:
  learning_rate: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}
  units: {values: [16, 32, 64]}
train: {epochs: 3, train_size: 1500, batch_size: 32}
`;

describe('nothing lost', () => {
  it('kill -9 mid-sweep, then run again: completed trials untouched, interrupted ones resumed as themselves, none duplicated', async () => {
    const dir = tempDir();
    writeFile(dir, 'sweep.yaml', sweep('killed'));
    const started = await startAndWait(dir, ['sweep.yaml', '--db', 'run.db', '--workers', '2'], (rows) => {
      const complete = rows.filter((r) => r.state === 'complete').length;
      return complete >= 2 && rows.some((r) => r.state === 'running' && r.epochs >= 1);
    });
    started.child.kill('SIGKILL');
    const exit = await started.exited;
    assert.equal(exit.signal, 'SIGKILL');

    const beforeResume = readTrials(started.db);
    assert.equal(integrity(started.db), 'ok');
    // Its process is gone, so the sweep no longer shows as running.
    const status = JSON.parse((await runCli(['status', 'killed', '--db', 'run.db', '--json'], { cwd: dir })).stdout) as { state: string; counts: { running: number } };
    assert.equal(status.state, 'interrupted');
    assert.equal(status.counts.running, 0);
    const completeBefore = beforeResume.filter((r) => r.state === 'complete');
    const runningAtKill = beforeResume.filter((r) => r.state === 'running');
    assert.ok(completeBefore.length >= 2 && runningAtKill.length >= 1);

    const resumed = await runCli(['run', 'sweep.yaml', '--db', 'run.db', '--workers', '2'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, new RegExp(`resuming with ${completeBefore.length} complete, ${runningAtKill.length} interrupted trial\\(s\\) will run again`));
    assert.equal(integrity(started.db), 'ok');

    const after = readTrials(started.db);
    // Numbers are contiguous and unique: numbering continued after the crash.
    assert.deepEqual(after.map((r) => r.number), after.map((_, i) => i));
    // Completed trials and their epochs are exactly as they were.
    for (const row of completeBefore) assert.deepEqual(after.find((r) => r.id === row.id), row);
    // Trials that were running ran again as themselves, from their last checkpoint (their epochs kept, each once).
    for (const row of runningAtKill) {
      const now = after.find((r) => r.id === row.id)!;
      assert.equal(now.state, 'complete');
      assert.equal(now.number, row.number);
      assert.equal(now.params, row.params);
      assert.equal(now.epochs, 3);
      assert.equal(after.filter((r) => r.config_index === row.config_index).length, 1, 'no new trial for it');
    }
    const complete = after.filter((r) => r.state === 'complete');
    assert.equal(complete.length, 6, 'run_cap counts completed trials');
    assert.equal(new Set(complete.map((r) => r.config_index)).size, 6, 'no configuration completed twice');
    assert.ok(complete.every((r) => r.epochs === 3));
  });

  it('Ctrl-C stops dispatching, marks running trials interrupted, exits 130; the next run finishes the sweep', async () => {
    const dir = tempDir();
    writeFile(dir, 'sweep.yaml', sweep('ctrl-c'));
    const started = await startAndWait(dir, ['sweep.yaml', '--db', 'run.db', '--workers', '2'], (rows) => rows.some((r) => r.state === 'running' && r.epochs >= 1));
    started.child.kill('SIGINT');
    const exit = await started.exited;
    assert.equal(exit.code, 130, started.output());
    assert.equal(integrity(started.db), 'ok');
    const rows = readTrials(started.db);
    assert.ok(rows.some((r) => r.state === 'interrupted'));
    assert.ok(rows.every((r) => r.state === 'complete' || r.state === 'interrupted'), JSON.stringify(rows));
    const conn = new Database(started.db, { readonly: true });
    const sweepRow = conn.prepare('SELECT state, message FROM sweeps').get() as { state: string; message: string };
    conn.close();
    assert.equal(sweepRow.state, 'stopped');
    assert.match(sweepRow.message, /interrupted/);

    const resumed = await runCli(['run', 'sweep.yaml', '--db', 'run.db'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readTrials(started.db).filter((r) => r.state === 'complete').length, 6);
  });

  it('a failing trial is recorded and the sweep goes on', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'fail.yaml',
      'name: some-fail\nmethod: grid\nseed: 1\nparameters:\n  learning_rate: {values: [1.0e+300, 0.01]}\ntrain: {epochs: 1, train_size: 200, optimizer: sgd}\n',
    );
    const out = await runCli(['run', 'fail.yaml', '--db', 'f.db', '--workers', '1'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /trial 0 failed: (training diverged|loss became)/);
    assert.match(out.stdout, /some-fail: 1 trial\(s\) complete, 1 failed/);
    const rows = readTrials(path.join(dir, 'f.db'));
    assert.deepEqual(rows.map((r) => r.state), ['failed', 'complete']);
  });

  it('stops after max_consecutive_failures failures in a row, saying why; a later run continues', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'diverge.yaml',
      'name: diverge\nmethod: grid\nseed: 1\nmax_consecutive_failures: 2\nparameters:\n  learning_rate: {values: [1.0e+300, 1.0e+200, 0.01]}\ntrain: {epochs: 1, train_size: 200, optimizer: sgd}\n',
    );
    const out = await runCli(['run', 'diverge.yaml', '--db', 'd.db', '--workers', '1'], { cwd: dir });
    assert.equal(out.code, 1);
    assert.match(out.stdout, /diverge: stopped after 2 consecutive failed trials \(max_consecutive_failures: 2\); last error: training diverged/);
    assert.deepEqual(readTrials(path.join(dir, 'd.db')).map((r) => r.state), ['failed', 'failed']);

    const again = await runCli(['run', 'diverge.yaml', '--db', 'd.db', '--workers', '1'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(readTrials(path.join(dir, 'd.db')).map((r) => r.state), ['failed', 'failed', 'complete']);
  });

  it('a bayes sweep of a program objective resumes after kill -9 and completes every trial once', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'objective.mjs',
      `import { setTimeout as sleep } from 'node:timers/promises';
export default async function ({ x, units, opt }, trial) {
  trial.report(0, { partial: x * x });
  await sleep(80);
  if (opt === 'bad' && x > 4.5) throw new Error('unlucky corner');
  return { value: (x - 1) ** 2 + (units - 64) ** 2 / 1e4 + (opt === 'adam' ? 0 : 0.3), seed: trial.seed };
}
`,
    );
    writeFile(
      dir,
      'sweep.yaml',
      'name: bayes-prog\nmethod: bayes\nseed: 5\nrun_cap: 24\nprogram: ./objective.mjs\nmetric: {name: value, goal: minimize}\nparameters:\n  x: {min: -5.0, max: 5.0}\n  units: {min: 16, max: 128, q: 16}\n  opt: {values: [adam, sgd, bad]}\n',
    );
    const started = await startAndWait(dir, ['sweep.yaml', '--db', 'run.db', '--workers', '2'], (rows) => rows.filter((r) => r.state === 'complete').length >= 12 && rows.some((r) => r.state === 'running'));
    started.child.kill('SIGKILL');
    await started.exited;
    const before = readTrials(started.db);
    const runningAtKill = before.filter((r) => r.state === 'running');

    const resumed = await runCli(['run', 'sweep.yaml', '--db', 'run.db', '--workers', '2'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.equal(integrity(started.db), 'ok');
    const after = readTrials(started.db);
    assert.deepEqual(after.map((r) => r.number), after.map((_, i) => i));
    for (const row of before.filter((r) => r.state === 'complete')) assert.deepEqual(after.find((r) => r.id === row.id), row);
    // A trial running at the kill ran again as itself (a program that saves no state starts again).
    for (const row of runningAtKill) {
      const now = after.find((r) => r.id === row.id)!;
      assert.notEqual(now.state, 'interrupted');
      assert.equal(now.params, row.params);
      assert.equal(after.filter((r) => r.config_index === row.config_index).length, 1);
    }
    const complete = after.filter((r) => r.state === 'complete');
    assert.equal(complete.length, 24);
    assert.equal(new Set(after.filter((r) => r.state !== 'interrupted').map((r) => r.config_index)).size, after.filter((r) => r.state !== 'interrupted').length);
    assert.ok(complete.every((r) => r.epochs === 1), 'each trial.report(step) is stored');
    const failed = after.filter((r) => r.state === 'failed');
    const conn = new Database(started.db, { readonly: true });
    for (const f of failed) {
      assert.equal((conn.prepare('SELECT error FROM trials WHERE id = ?').get(f.id) as { error: string }).error, 'unlucky corner');
    }
    conn.close();
    const best = JSON.parse((await runCli(['best', 'bayes-prog', '--db', 'run.db', '--json', '--top', '1'], { cwd: dir })).stdout) as Array<{ value: number; metrics: Record<string, number> }>;
    assert.ok(best[0]!.value < 1, `best ${best[0]!.value}`);
    assert.ok('seed' in best[0]!.metrics, 'a record result keeps all its metrics');
  });
});
