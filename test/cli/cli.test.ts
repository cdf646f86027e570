import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli, tempDir, tinySweep, writeFile } from '../helpers.js';

describe('tfsweep CLI on a real 2×2 grid', () => {
  const dir = tempDir();
  const db = path.join(dir, 'sweeps.db');
  let run: Awaited<ReturnType<typeof runCli>>;

  before(async () => {
    writeFile(dir, 'grid.yaml', tinySweep('tiny-grid'));
    run = await runCli(['run', 'grid.yaml', '--db', db, '--workers', '2'], { cwd: dir });
  });

  it('runs the four trials, two at a time, and prints one line per trial and a leaderboard', () => {
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /sweep tiny-grid: grid search, 4 trials, 2 worker\(s\), val_accuracy \(maximize\)/);
    assert.equal(run.stdout.match(/^\[\d\/4\] trial \d complete val_accuracy=/gm)?.length, 4);
    assert.match(run.stdout, /tiny-grid: 4 trial\(s\) complete/);
    const rows = new Database(db, { readonly: true })
      .prepare('SELECT number, started_at, ended_at FROM trials ORDER BY number')
      .all() as Array<{ number: number; started_at: string; ended_at: string }>;
    // Two workers: trial 1 starts before trial 0 ends.
    assert.ok(rows[1]!.started_at < rows[0]!.ended_at, JSON.stringify(rows));
  });

  it('best --json ranks the completed trials by the metric', async () => {
    const best = await runCli(['best', 'tiny-grid', '--db', db, '--json', '--top', '10'], { cwd: dir });
    assert.equal(best.code, 0, best.stderr);
    const rows = JSON.parse(best.stdout) as Array<{ rank: number; number: number; value: number; params: Record<string, unknown>; metrics: Record<string, number>; epochs: unknown[] }>;
    assert.deepEqual(rows.map((r) => r.rank), [1, 2, 3, 4]);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.value >= rows[i]!.value);
    assert.equal(rows[0]!.value, rows[0]!.metrics.val_accuracy);
    assert.deepEqual(new Set(rows.map((r) => JSON.stringify(r.params))).size, 4);
    assert.ok(rows[0]!.value > 0.5, `best val_accuracy ${rows[0]!.value}`);
    const top1 = JSON.parse((await runCli(['best', 'tiny-grid', '--db', db, '--json', '--top', '1'], { cwd: dir })).stdout) as unknown[];
    assert.equal(top1.length, 1);
  });

  it('trials --json has every trial with its params, final metrics and one epoch each', async () => {
    const out = await runCli(['trials', 'tiny-grid', '--db', db, '--json'], { cwd: dir });
    const trials = JSON.parse(out.stdout) as Array<{ number: number; state: string; params: Record<string, unknown>; value: number; metrics: Record<string, number>; epochs: Array<Record<string, number>> }>;
    assert.deepEqual(trials.map((t) => t.number), [0, 1, 2, 3]);
    assert.deepEqual(trials.map((t) => t.params), [
      { learning_rate: 0.01, units: 16 },
      { learning_rate: 0.01, units: 32 },
      { learning_rate: 0.001, units: 16 },
      { learning_rate: 0.001, units: 32 },
    ]);
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      assert.equal(t.epochs.length, 1);
      assert.equal(t.epochs[0]!.epoch, 1);
      assert.deepEqual(Object.keys(t.metrics).sort(), ['accuracy', 'inference_ms', 'loss', 'model_bytes', 'params', 'val_accuracy', 'val_loss']);
      // One hidden layer of `units` between 784 inputs and 10 classes.
      const units = t.params.units as number;
      assert.equal(t.metrics.params, 784 * units + units + units * 10 + 10);
      assert.equal(t.epochs[0]!.val_accuracy, t.value);
    }
  });

  it('export writes the leaderboard as CSV, Markdown and JSON', async () => {
    const csv = await runCli(['export', 'tiny-grid', '--db', db, '--format', 'csv'], { cwd: dir });
    const lines = csv.stdout.trim().split('\n');
    assert.equal(lines.length, 5);
    assert.equal(lines[0], 'rank,number,value,test_accuracy,test_loss,learning_rate,units,accuracy,inference_ms,loss,model_bytes,params,val_accuracy,val_loss,duration_s');
    assert.match(lines[1]!, /^1,\d,0\.\d+,0\.\d+,\d\.\d+,0\.0?01,(16|32),/);

    const md = await runCli(['export', 'tiny-grid', '--db', db, '--format', 'md', '--out', 'board.md'], { cwd: dir });
    assert.equal(md.code, 0, md.stderr);
    const text = readFileSync(path.join(dir, 'board.md'), 'utf8');
    assert.match(text, /^## tiny-grid: val_accuracy \(maximize\)/);
    assert.equal(text.trim().split('\n').filter((l) => l.startsWith('|')).length, 6);

    const json = JSON.parse((await runCli(['export', 'tiny-grid', '--db', db, '--format', 'json'], { cwd: dir })).stdout) as { trials: unknown[] };
    assert.equal(json.trials.length, 4);
  });

  it('list and status describe the sweep', async () => {
    const list = JSON.parse((await runCli(['list', '--db', db, '--json'], { cwd: dir })).stdout) as Array<{ name: string; state: string; counts: { complete: number }; planned: number }>;
    assert.deepEqual(list.map((s) => [s.name, s.state, s.counts.complete, s.planned]), [['tiny-grid', 'finished', 4, 4]]);
    const status = await runCli(['status', 'tiny-grid', '--db', db], { cwd: dir });
    assert.match(status.stdout, /trials {3}4\/4 finished: 4 complete, 0 pruned; 0 running, 0 failed, 0 interrupted/);
  });

  it('running a finished sweep again says so and changes nothing', async () => {
    const again = await runCli(['run', 'grid.yaml', '--db', db], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /sweep "tiny-grid" is already finished/);
    const n = (new Database(db, { readonly: true }).prepare('SELECT COUNT(*) AS n FROM trials').get() as { n: number }).n;
    assert.equal(n, 4);
  });

  it('names an unknown sweep with a suggestion and exits 2', async () => {
    const out = await runCli(['best', 'tiny-grd', '--db', db], { cwd: dir });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /no sweep named "tiny-grd" .*did you mean "tiny-grid"\?/);
  });

  it('refuses to query a database that does not exist, without creating it', async () => {
    const missing = path.join(dir, 'none.db');
    const out = await runCli(['list', '--db', missing], { cwd: dir });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /no tfsweep database at/);
    assert.equal(existsSync(missing), false);
  });
});

describe('tfsweep CLI with bad input', () => {
  const dir = tempDir();
  const db = path.join(dir, 'keep.db');

  before(async () => {
    writeFile(dir, 'ok.yaml', tinySweep('keep', '').replace('values: [16, 32]', 'values: [16]').replace('values: [0.01, 0.001]', 'values: [0.01]'));
    const r = await runCli(['run', 'ok.yaml', '--db', db, '--workers', '1'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['syntax.yaml', 'method: grid\nparameters:\n  units: {values: [1, 2]\n', /^error: syntax\.yaml:\d+: invalid YAML/],
    ['minmax.yaml', 'method: random\nrun_cap: 2\nparameters:\n  learning_rate: {min: 0.5, max: 0.1}\n', /^error: minmax\.yaml:4: parameters\.learning_rate\.min: expected min ≤ max/],
    ['key.yaml', 'method: grid\nparamters:\n  units: {values: [1]}\n', /^error: key\.yaml:2: paramters: unknown key "paramters"; did you mean "parameters"\?/],
    ['grid.yaml', 'method: grid\nparameters:\n  learning_rate: {min: 0.001, max: 0.1}\n', /^error: grid\.yaml:3: parameters\.learning_rate\.distribution: grid search needs discrete values/],
  ];

  for (const [name, text, expected] of cases) {
    it(`run ${name}: exits 2, names the field, leaves the database as it was`, async () => {
      const before = readFileSync(db);
      writeFile(dir, name, text);
      const out = await runCli(['run', name, '--db', db], { cwd: dir });
      assert.equal(out.code, 2);
      assert.match(out.stderr, expected);
      assert.equal(out.stderr.trim().split('\n').length, 1, out.stderr);
      assert.deepEqual(readFileSync(db), before);
      const validate = await runCli(['validate', name], { cwd: dir });
      assert.equal(validate.code, 2);
      assert.match(validate.stderr, expected);
    });
  }

  it('does not create a database for a bad file', async () => {
    const fresh = path.join(dir, 'fresh.db');
    const out = await runCli(['run', 'minmax.yaml', '--db', fresh], { cwd: dir });
    assert.equal(out.code, 2);
    assert.equal(existsSync(fresh), false);
  });

  it('refuses a changed definition under an existing name', async () => {
    writeFile(dir, 'changed.yaml', tinySweep('keep'));
    const out = await runCli(['run', 'changed.yaml', '--db', db], { cwd: dir });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /sweep "keep" already exists in the database with a different definition \(parameters changed\)/);
  });

  it('rejects bad flags with exit 2', async () => {
    const out = await runCli(['run', 'ok.yaml', '--db', db, '--workers', '0'], { cwd: dir });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /--workers: expected an integer from 1 to 256, got 0/);
    const unknown = await runCli(['frobnicate'], { cwd: dir });
    assert.equal(unknown.code, 2);
  });

  it('validate prints the space and the grid size', async () => {
    writeFile(dir, 'g6.yaml', 'method: grid\nparameters:\n  units: {values: [8, 16, 32]}\n  optimizer: {values: [adam, sgd]}\n');
    const out = await runCli(['validate', 'g6.yaml'], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /trials {4}6 \(grid\)/);
    assert.match(out.stdout, /units +categorical \[8,16,32\]/);
  });
});

describe('tfsweep CLI: a CNN with augmentation, l2, early stopping and 2 executions per trial', () => {
  it('runs, keeps every execution and reports mean, std and a 95% CI', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'mix.yaml',
      `name: mix
method: grid
seed: 4
executions_per_trial: 2
parameters:
  model: {values: [cnn, mlp]}
train:
  epochs: 2
  train_size: 300
  batch_size: 32
  filters: 4
  units: 16
  l2: 0.0001
  rotation_range: 10
  width_shift_range: 0.1
  early_stopping: true
  patience: 1
  monitor: val_accuracy
  restore_best_weights: true
`,
    );
    const run = await runCli(['run', 'mix.yaml', '--db', 'mix.db', '--workers', '2'], { cwd: dir });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const trials = JSON.parse((await runCli(['trials', 'mix', '--db', 'mix.db', '--json'], { cwd: dir })).stdout) as Array<{
      value: number;
      params: Record<string, unknown>;
      executions: Array<{ value: number; seed: number }>;
      value_std: number;
      value_ci95: [number, number];
      epochs: Array<{ execution?: number }>;
    }>;
    assert.deepEqual(trials.map((t) => t.params.model), ['cnn', 'mlp']);
    for (const t of trials) {
      assert.equal(t.executions.length, 2);
      assert.notEqual(t.executions[0]!.seed, t.executions[1]!.seed);
      assert.ok(Math.abs(t.value - (t.executions[0]!.value + t.executions[1]!.value) / 2) < 1e-9);
      assert.ok(t.value_ci95[0] <= t.value && t.value <= t.value_ci95[1]);
      assert.ok(t.epochs.some((e) => e.execution === 1) && t.epochs.some((e) => e.execution === undefined));
    }
    const csv = (await runCli(['export', 'mix', '--db', 'mix.db'], { cwd: dir })).stdout;
    assert.match(csv.split('\n')[0]!, /^rank,number,value,value_std,ci95_low,ci95_high,test_accuracy,test_loss,model,/);
    // The best trial, and only it, was evaluated once on the test split; its saved model exports and loads.
    const best = JSON.parse((await runCli(['best', 'mix', '--db', 'mix.db', '--json'], { cwd: dir })).stdout) as Array<{ test_metrics?: Record<string, number> }>;
    assert.ok(best[0]!.test_metrics!.test_accuracy! > 0.1);
    assert.equal(best[1]!.test_metrics, undefined);
    const exported = await runCli(['export-model', 'mix', '--db', 'mix.db', '--out', 'best-model'], { cwd: dir });
    assert.equal(exported.code, 0, exported.stderr);
    assert.ok(existsSync(path.join(dir, 'best-model', 'model.json')));
    assert.ok(existsSync(path.join(dir, 'mix', 'trial-0000', 'weights.bin')));
  });
});

