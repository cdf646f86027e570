/**
 * The CLI on a PostgreSQL database: `--db postgres://…` (or TFSWEEP_DB) runs, resumes and queries a sweep
 * there, the same as on a SQLite file. Needs TFSWEEP_TEST_POSTGRES (.ci/run starts a server and sets it);
 * each test uses its own schema. Also: a URL of any other scheme is refused and creates nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { cli, tempDir, writeFile } from '../helpers.js';
import { objective, programSweep } from '../sweeps.js';
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
    assert.match(status.stdout, /6\/6 finished: 6 complete/);
  });

  it('keeps saved models in the database: evaluated once, save_models kept, exported from anywhere, finalized late after a crash', async () => {
    const url = urlFor();
    const dir = tempDir();
    writeFile(
      dir,
      'm.yaml',
      'name: pgm\nmethod: grid\nseed: 3\nsave_models: 2\nparameters:\n  units: {values: [8, 16, 24]}\ntrain: {epochs: 1, train_size: 300, batch_size: 32}\n',
    );
    const run = await cli(['run', 'm.yaml', '--db', url, '--workers', '2'], dir);
    assert.equal(run.code, 0, run.stderr);
    // Nothing beside the sweep file: the models are on the server too.
    assert.deepEqual(readdirSync(dir), ['m.yaml']);
    const best = JSON.parse((await cli(['best', 'pgm', '--db', url, '--json'], dir)).stdout) as Array<{ number: number; model_path?: string; test_metrics?: { test_accuracy: number } }>;
    assert.equal(best.length, 3);
    assert.deepEqual(best.map((t) => t.model_path), [`db:trial-000${best[0]!.number}`, `db:trial-000${best[1]!.number}`, undefined]);
    assert.ok(best[0]!.test_metrics!.test_accuracy > 0.2, JSON.stringify(best[0]));
    assert.equal(best[1]!.test_metrics, undefined);
    const db = new pg.Client({ connectionString: url.replace(/\?schema=.*$/, '') });
    await db.connect();
    const schema = new URL(url).searchParams.get('schema')!;
    try {
      const stored = await db.query(`SELECT t.number, count(*)::int AS files FROM "${schema}".model_files f JOIN "${schema}".trials t ON t.id = f.trial_id GROUP BY t.number ORDER BY t.number`);
      assert.deepEqual(stored.rows.map((r) => r.number), [best[0]!.number, best[1]!.number].sort());
      assert.ok(stored.rows.every((r) => r.files === 2));

      // Another machine: another folder, nothing but the URL.
      const elsewhere = tempDir();
      const exported = await cli(['export-model', 'pgm', '--db', url, '--out', 'best-model'], elsewhere);
      assert.equal(exported.code, 0, exported.stderr);
      assert.deepEqual(readdirSync(path.join(elsewhere, 'best-model')).sort(), ['model.json', 'weights.bin']);
      // The exported model is the one evaluated: the same test-split accuracy.
      const { evaluateSaved } = await import('../../src/trainer/train.js');
      const { loadDataset } = await import('../../src/trainer/datasets.js');
      const mnist = loadDataset('mnist');
      const again = await evaluateSaved(path.join(elsewhere, 'best-model'), mnist.test!, mnist.classes);
      assert.ok(Math.abs(again.accuracy! - best[0]!.test_metrics!.test_accuracy) < 1e-6, `${again.accuracy} vs ${best[0]!.test_metrics!.test_accuracy}`);
      const third = await cli(['export-model', 'pgm', String(best[2]!.number), '--db', url, '--out', 'x'], elsewhere);
      assert.equal(third.code, 2);
      assert.match(third.stderr, /has no saved model/);

      // The finishing process died before evaluating and pruning: the next run of the finished sweep does it.
      await db.query(`UPDATE "${schema}".trials SET test_metrics_json = NULL`);
      const late = await cli(['run', 'm.yaml', '--db', url], dir);
      assert.equal(late.code, 0, late.stderr);
      assert.match(late.stdout, /already finished.*finalized now/);
      const after = JSON.parse((await cli(['best', 'pgm', '--db', url, '--json'], dir)).stdout) as typeof best;
      assert.equal(after[0]!.test_metrics!.test_accuracy, best[0]!.test_metrics!.test_accuracy);
      const quiet = await cli(['run', 'm.yaml', '--db', url], dir);
      assert.doesNotMatch(quiet.stdout, /finalized/);
    } finally {
      await db.end();
    }
  });

  it('prunes on PostgreSQL as on SQLite: two processes, one median pruner, the same decisions from the stored steps', async () => {
    const url = urlFor();
    const dir = tempDir();
    writeFile(
      dir,
      'obj.mjs',
      'export default async (p, trial) => { let v = 0; for (let s = 0; s < 5; s++) { v = p.x * (s + 1) / 5; trial.report(s, { value: v }); await new Promise((r) => setTimeout(r, 5)); if (trial.shouldPrune()) return v; } return v; };\n',
    );
    writeFile(dir, 's.yaml', 'name: pgp\nmethod: random\nseed: 2\nrun_cap: 16\nworkers: 1\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize}\npruner: {type: median, n_startup_trials: 3}\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const [a, b] = await Promise.all([cli(['run', 's.yaml', '--db', url], dir), cli(['run', 's.yaml', '--db', url], dir)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const trials = JSON.parse((await cli(['trials', 'pgp', '--db', url, '--json'], dir)).stdout) as Array<{ state: string; epochs: unknown[]; pruned_at?: number }>;
    assert.equal(trials.filter((t) => t.state === 'complete' || t.state === 'pruned').length, 16);
    const pruned = trials.filter((t) => t.state === 'pruned');
    assert.ok(pruned.length > 0, 'some trials were pruned');
    for (const t of pruned) assert.equal(t.epochs.length, t.pruned_at! + 1, 'stopped at the step judged');
    const status = await cli(['status', 'pgp', '--db', url], dir);
    assert.match(status.stdout, new RegExp(`16/16 finished: ${16 - pruned.length} complete, ${pruned.length} pruned`));
  });

  it('M8: says in one line (exit 2: the URL leads nowhere) when nothing listens there, naming it without its password', async () => {
    const dir = tempDir();
    writeFile(dir, 's.yaml', programSweep('down', 2));
    objective(dir);
    const r = await cli(['run', 's.yaml', '--db', 'postgres://someone:secret@127.0.0.1:1/nothing'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot use the PostgreSQL database postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing/);
    assert.doesNotMatch(r.stderr, /secret/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
