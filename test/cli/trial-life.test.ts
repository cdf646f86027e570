/**
 * Warm starts and a trial's whole life, through the CLI as a user runs it, on a real SQLite file and a real
 * PostgreSQL server: enqueued configurations, imported results, retried failures, a trial killed mid-way
 * (SIGKILL) that resumes in the same trial, notes, rename, delete and copy.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { BIN, runCli, tempDir, writeFile } from '../helpers.js';
import { cli, query } from '../sweeps.js';
import { PG_SKIP, pgSchemas } from '../postgres.js';
import { openStorage, parseLocation } from '../../src/storage/open.js';

type Trial = { number: number; state: string; params: Record<string, unknown>; value: number | null; origin?: string; attempt?: number; note?: string; attempts?: Array<{ state: string; error: string; resumed_after: number | null; started_at: string; ended_at: string }>; epochs: Array<{ epoch: number }>; started_at: string; ended_at: string };

const trials = async (dir: string, sweep: string, db: string): Promise<Trial[]> => JSON.parse((await cli(['trials', sweep, '--db', db, '--json'], dir)).stdout) as Trial[];

/**
 * x in [0, 1], a category; each trial takes `waitMs`; with `flaky` (a folder), each trial's first run fails.
 * (Worker threads share the test process's environment: the settings are written into the program.)
 */
const program = (waitMs = 0, flaky: string | null = null) => `import { existsSync, writeFileSync } from 'node:fs';
export default async ({ x, mode }, trial) => {
  await new Promise((r) => setTimeout(r, ${waitMs}));
  const flaky = ${JSON.stringify(flaky)};
  if (flaky) {
    const mark = flaky + '/seen-' + trial.number;
    if (!existsSync(mark)) { writeFileSync(mark, ''); throw new Error('transient: the node lost its GPU'); }
  }
  return (x - 0.3) ** 2 + (mode === 'a' ? 0 : 0.01);
};
`;
const sweepText = (name: string, extra = '') =>
  `name: ${name}\nmethod: bayes\nseed: 4\nrun_cap: 8\nworkers: 2\nprogram: ./p.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n  mode: {values: [a, b]}\nbayes: {n_startup_trials: 4}\n${extra}`;

describe('enqueue and import: known configurations first', () => {
  const dir = tempDir();
  writeFile(dir, 'p.mjs', program());
  writeFile(dir, 'slow.mjs', program(150));

  it('runs the file\'s enqueue: configurations first, a left-out parameter drawn; a bad one is refused at its line', async () => {
    writeFile(dir, 'e.yaml', sweepText('e', 'enqueue:\n  - {x: 0.3, mode: a}\n  - {x: 0.9}\n'));
    const r = await cli(['run', 'e.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const t = await trials(dir, 'e', 'r.db');
    assert.equal(t.length, 8);
    assert.deepEqual(t[0]!.params, { x: 0.3, mode: 'a' });
    assert.equal(t[1]!.params.x, 0.9);
    assert.ok(['a', 'b'].includes(t[1]!.params.mode as string));
    assert.deepEqual(t.map((u) => u.origin ?? null), ['enqueued', 'enqueued', null, null, null, null, null, null]);
    writeFile(dir, 'bad.yaml', sweepText('bad', 'enqueue:\n  - {x: 1.5}\n'));
    const bad = await cli(['validate', 'bad.yaml'], dir);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'error: bad.yaml:12: enqueue[0].x: "x": expected a value in [0, 1], got 1.5');
  });

  it('tfsweep enqueue into a running sweep: the next process to ask runs it, exactly once', async () => {
    writeFile(dir, 'live.yaml', sweepText('live').replace('run_cap: 8', 'run_cap: 10').replace('./p.mjs', './slow.mjs'));
    // In its own process, as a night's run would be (SQLite's locks block the thread that waits for them).
    const running = runCli(['run', 'live.yaml', '--db', 'r.db'], { cwd: dir });
    const db = path.join(dir, 'r.db');
    for (let i = 0; i < 200 && query(db, "SELECT 1 FROM trials t JOIN sweeps s ON s.id = t.sweep_id WHERE s.name = 'live' AND t.state = 'complete'").length < 2; i++) await delay(25);
    const q = await cli(['enqueue', 'live', '--db', 'r.db', '--params', '{"x": 0.123456, "mode": "b"}'], dir);
    assert.equal(q.code, 0, q.stderr);
    assert.match(q.stdout, /trial \d+ queued \(x=0\.1235 mode=b\)/);
    const ran = await running;
    assert.equal(ran.code, 0, ran.stderr);
    const t = await trials(dir, 'live', 'r.db');
    const mine = t.filter((u) => u.params.x === 0.123456);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.state, 'complete');
    assert.equal(mine[0]!.origin, 'enqueued');
    assert.equal(t.filter((u) => u.state === 'complete').length, 10, 'it counts towards run_cap');
    const refused = await cli(['enqueue', 'live', '--db', 'r.db', '--params', '{"x": 0.5, "mood": "a"}'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /sweep "live" is finished .*: no process will claim a new trial/);
  });

  it('imports known results (CSV, JSON) as complete trials the search learns from; a bad row imports nothing', async () => {
    writeFile(dir, 'known.csv', 'x,mode,value\n0.31,a,0.0001\n0.5,b,0.05\n\n0.7,b,0.17\n');
    writeFile(dir, 'i.yaml', sweepText('i'));
    const created = await cli(['import', 'i.yaml', 'known.csv', '--db', 'r.db'], dir);
    assert.equal(created.code, 0, created.stderr);
    writeFile(dir, 'more.json', JSON.stringify([{ params: { x: 0.301, mode: 'a' }, value: 0.000001, metrics: { seconds: 3 } }]));
    assert.equal((await cli(['import', 'i', 'more.json', '--db', 'r.db'], dir)).code, 0);
    const best = JSON.parse((await cli(['best', 'i', '--db', 'r.db', '--json', '-k', '1'], dir)).stdout) as Trial[];
    assert.deepEqual(best[0]!.params, { x: 0.301, mode: 'a' });
    assert.equal(best[0]!.origin, 'imported');
    // The TPE starts from them: 4 results are its 4 start-up trials, so the first trial it runs is modelled.
    assert.equal((await cli(['run', 'i.yaml', '--db', 'r.db'], dir)).code, 0);
    const t = await trials(dir, 'i', 'r.db');
    assert.equal(t.length, 8);
    assert.ok(t.slice(4).every((u) => u.state === 'complete' && !u.origin));
    // A row outside the space: refused with its line, and nothing of the file is written.
    writeFile(dir, 'worse.csv', 'x,mode,value\n0.2,a,0.01\n0.4,c,0.02\n');
    const before = (await trials(dir, 'i', 'r.db')).length;
    const bad = await cli(['import', 'i', 'worse.csv', '--db', 'r.db'], dir);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim(), 'error: worse.csv:3: "mode": expected one of ["a","b"], got "c"');
    assert.equal((await trials(dir, 'i', 'r.db')).length, before);
  });
});

describe('retries', () => {
  it('runs a failed trial again with the same parameters until it completes; attempts are recorded', async () => {
    const dir = tempDir();
    writeFile(dir, 'p.mjs', program(0, dir));
    writeFile(dir, 'f.yaml', sweepText('flaky', 'max_retries: 2\nmax_consecutive_failures: 2\n'));
    const r = await cli(['run', 'f.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /failed: transient: the node lost its GPU; attempt 1 of 3, it will run again/);
    const t = await trials(dir, 'flaky', 'r.db');
    assert.equal(t.length, 8, 'a retry is the same trial, not a new one');
    for (const u of t) {
      assert.equal(u.state, 'complete');
      assert.equal(u.attempt, 2);
      assert.equal(u.attempts!.length, 1);
      assert.equal(u.attempts![0]!.state, 'failed');
      assert.equal(u.attempts![0]!.error, 'transient: the node lost its GPU');
    }
    // Without retries the same failures stop the sweep at max_consecutive_failures.
    writeFile(dir, 'q.mjs', program(0, tempDir()));
    writeFile(dir, 'g.yaml', sweepText('strict', 'max_consecutive_failures: 2\n').replace('./p.mjs', './q.mjs'));
    const strict = await cli(['run', 'g.yaml', '--db', 'r.db'], dir);
    assert.equal(strict.code, 1);
  });
});

describe('on PostgreSQL', () => {
  const schemas = pgSchemas('tfsweep_warm');
  after(() => schemas.drop());

  it('enqueue:, tfsweep enqueue, import and retries', { skip: PG_SKIP }, async () => {
    const dir = tempDir();
    const url = schemas.url();
    writeFile(dir, 'p.mjs', program(0, dir));
    writeFile(dir, 'known.json', JSON.stringify([{ params: { x: 0.3, mode: 'a' }, value: 0 }]));
    writeFile(dir, 'w.yaml', sweepText('warm', 'max_retries: 1\nenqueue:\n  - {x: 0.25, mode: b}\n'));
    // Created by the import (the file's enqueue: waits for the first run), then one more enqueued by hand.
    assert.equal((await cli(['import', 'w.yaml', 'known.json', '--db', url], dir)).code, 0);
    assert.equal((await cli(['enqueue', 'warm', '--db', url, '--params', '{"x": 0.75, "mode": "a"}'], dir)).code, 0);
    const r = await cli(['run', 'w.yaml', '--db', url], dir);
    assert.equal(r.code, 0, r.stderr);
    const t = await trials(dir, 'warm', url);
    assert.equal(t.length, 8);
    assert.deepEqual(t.slice(0, 3).map((u) => [u.origin, u.params.x]), [['imported', 0.3], ['enqueued', 0.25], ['enqueued', 0.75]]);
    assert.ok(t.every((u) => u.state === 'complete'));
    assert.ok(t.slice(1).every((u) => u.attempt === 2 && u.attempts![0]!.state === 'failed'), 'each ran trial failed once and was retried as itself');
    const best = JSON.parse((await cli(['best', 'warm', '--db', url, '--json', '-k', '1'], dir)).stdout) as Trial[];
    assert.equal(best[0]!.origin, 'imported');
  });
});

/** Starts `tfsweep run` in a child process and kills it (SIGKILL) once `epochs` epochs of its trial are stored. */
async function killAfterEpochs(dir: string, args: string[], epochs: () => Promise<number>, at: number): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'run', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while ((await epochs()) < at) {
    if (child.exitCode !== null) assert.fail(`the sweep ended before it could be killed:\n${output}`);
    if (Date.now() > deadline) assert.fail(`timed out:\n${output}`);
    await delay(20);
  }
  child.kill('SIGKILL');
  await exited;
}

const tenEpochs = 'name: long\nmethod: grid\nseed: 3\nworkers: 1\nparameters:\n  units: {values: [48]}\ntrain: {epochs: 10, train_size: 4000, dropout: 0.1}\n';

async function resumesInTheSameTrial(dir: string, db: string, epochs: () => Promise<number>): Promise<void> {
  writeFile(dir, 'long.yaml', tenEpochs);
  await killAfterEpochs(dir, ['long.yaml', '--db', db], epochs, 6);
  const r = await cli(['run', 'long.yaml', '--db', db], dir, { TFSWEEP_LEASE_GRACE_MS: '500' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trial 0 resumes after epoch (6|7) of its interrupted run \(attempt 2\)/);
  const [t] = await trials(dir, 'long', db);
  assert.equal(t!.state, 'complete');
  assert.equal(t!.attempt, 2);
  assert.deepEqual(t!.epochs.map((e) => e.epoch), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'every epoch stored once');
  const before = t!.attempts![0]!;
  assert.equal(before.state, 'interrupted');
  assert.ok(before.resumed_after! >= 6);
  const spent = (a: { started_at: string; ended_at: string }) => Date.parse(a.ended_at) - Date.parse(a.started_at);
  assert.ok(spent(t!) < spent(before), `the resumed run took ${spent(t!)} ms, the interrupted one ${spent(before)} ms`);
}

describe('resume mid-trial', () => {
  it('a trial killed (SIGKILL) after epoch 6 of 10 resumes at epoch 7 in the same trial (SQLite)', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'r.db');
    await resumesInTheSameTrial(dir, 'r.db', async () => query<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM checkpoints')[0]?.n ? Number(query<{ e: number }>(db, 'SELECT MAX(epoch) AS e FROM checkpoints')[0]!.e) : 0);
  });

  const schemas = pgSchemas('tfsweep_life');
  after(() => schemas.drop());

  it('the same on PostgreSQL, the checkpoint in the database', { skip: PG_SKIP }, async () => {
    const dir = tempDir();
    const url = schemas.url();
    const reader = await openStorage(parseLocation(url, dir));
    try {
      await resumesInTheSameTrial(dir, url, async () => {
        const sweep = await reader.getSweep('long').catch(() => undefined);
        if (!sweep) return 0;
        const [trial] = await reader.listTrials(sweep.id);
        return trial ? ((await reader.loadCheckpoint(trial.id))?.epoch ?? 0) : 0;
      });
    } finally {
      await reader.close();
    }
  });

  it('a program that saves its state resumes from it; its steps up to it are kept', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'steps.mjs',
      `export default async ({ x }, trial) => {
  let step = trial.state?.step ?? 0;
  ${'/'}/ Says where it began, so the test can see it resumed.
  if (trial.state) (await import('node:fs')).writeFileSync(${JSON.stringify(path.join(dir, 'resumed-from'))}, String(step));
  while (step < 8) {
    step++;
    await new Promise((r) => setTimeout(r, 60));
    trial.report(step, { loss: x / step });
    trial.saveState({ step });
  }
  return x;
};
`,
    );
    writeFile(dir, 's.yaml', 'name: steps\nmethod: grid\nworkers: 1\nprogram: ./steps.mjs\nparameters:\n  x: {values: [2]}\n');
    const db = path.join(dir, 'r.db');
    await killAfterEpochs(dir, ['s.yaml', '--db', 'r.db'], async () => Number(query<{ e: number | null }>(db, 'SELECT MAX(epoch) AS e FROM checkpoints')[0]?.e ?? 0), 4);
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir, { TFSWEEP_LEASE_GRACE_MS: '500' });
    assert.equal(r.code, 0, r.stderr);
    const from = Number((await import('node:fs')).readFileSync(path.join(dir, 'resumed-from'), 'utf8'));
    assert.ok(from >= 4 && from < 8, `resumed from step ${from}`);
    const [t] = await trials(dir, 'steps', 'r.db');
    assert.deepEqual(t!.epochs.map((e) => e.epoch), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(t!.attempt, 2);
  });
});

describe('notes, rename, delete, copy', () => {
  it('notes show in trials, best and exports; rename moves the models; delete asks, or wants --yes', async () => {
    const dir = tempDir();
    writeFile(dir, 'g.yaml', 'name: g\nmethod: grid\nseed: 1\nparameters:\n  units: {values: [8, 16]}\ntrain: {epochs: 1, train_size: 300}\n');
    assert.equal((await cli(['run', 'g.yaml', '--db', 'r.db'], dir)).code, 0);
    assert.equal((await cli(['note', 'g', '1', 'the one from the paper', '--db', 'r.db'], dir)).code, 0);
    assert.equal((await cli(['note', 'g', 'first try', '--db', 'r.db'], dir)).code, 0);
    const t = await trials(dir, 'g', 'r.db');
    assert.equal(t[1]!.note, 'the one from the paper');
    assert.match((await cli(['export', 'g', '--db', 'r.db', '--format', 'csv'], dir)).stdout, /,note\n[^]*the one from the paper/);
    assert.match((await cli(['status', 'g', '--db', 'r.db'], dir)).stdout, /note {5}first try/);
    assert.equal((await cli(['note', 'g', '9', 'x', '--db', 'r.db'], dir)).code, 2);

    assert.ok(existsSync(path.join(dir, 'g', 'trial-0000')));
    const renamed = await cli(['rename', 'g', 'h', '--db', 'r.db'], dir);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.ok(!existsSync(path.join(dir, 'g')) && existsSync(path.join(dir, 'h', 'trial-0000')));
    assert.equal((await cli(['export-model', 'h', '0', '--db', 'r.db', '--out', 'm'], dir)).code, 0, 'the model is found at its new place');
    assert.equal((await cli(['rename', 'h', '../x', '--db', 'r.db'], dir)).code, 2);

    const refused = await cli(['delete', 'h', '--db', 'r.db'], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /cannot be undone: add --yes \(no terminal to ask on\)/);
    assert.equal((await cli(['delete', 'h', '--db', 'r.db', '--yes'], dir)).code, 0);
    assert.ok(!existsSync(path.join(dir, 'h')));
    assert.match((await cli(['list', '--db', 'r.db'], dir)).stdout, /no sweeps yet/);
  });

  const schemas = pgSchemas('tfsweep_copy');
  after(() => schemas.drop());

  it('copies a sweep with its trials, epochs and models to PostgreSQL and back', { skip: PG_SKIP }, async () => {
    const dir = tempDir();
    writeFile(dir, 'g.yaml', 'name: g\nmethod: grid\nseed: 1\nparameters:\n  units: {values: [8, 16]}\ntrain: {epochs: 2, train_size: 300}\n');
    assert.equal((await cli(['run', 'g.yaml', '--db', 'a.db'], dir)).code, 0);
    await cli(['note', 'g', '0', 'kept', '--db', 'a.db'], dir);
    const url = schemas.url();
    const there = await cli(['copy', 'g', '--db', 'a.db', '--to', url], dir);
    assert.equal(there.code, 0, there.stderr);
    assert.match(there.stdout, /2 trial\(s\), 2 saved model\(s\)/);
    const back = await cli(['copy', 'g', '--db', url, '--to', 'b.db', '--name', 'g2'], dir);
    assert.equal(back.code, 0, back.stderr);
    const strip = (t: Trial[]) => t.map(({ number, state, params, value, note, epochs }) => ({ number, state, params, value, note, epochs: epochs.map((e) => e.epoch) }));
    assert.deepEqual(strip(await trials(dir, 'g2', 'b.db')), strip(await trials(dir, 'g', 'a.db')));
    assert.equal((await cli(['export-model', 'g2', '1', '--db', 'b.db', '--out', 'm'], dir)).code, 0);
    assert.equal((await cli(['copy', 'g', '--db', 'a.db', '--to', url], dir)).code, 2, 'a copy never replaces a sweep');
    writeFileSync(path.join(dir, 'unused'), '');
  });
});
