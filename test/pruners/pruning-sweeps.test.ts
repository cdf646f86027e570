/**
 * Pruning in real sweeps: program objectives stopped through `trial.shouldPrune()` (and Optuna's
 * TrialPruned idiom), W&B's early_terminate, a tiny MNIST sweep with a pruner beside early stopping and
 * repeats, the CLI's views of pruned trials, the budgets (max_time, metric.target), bad pruner blocks, and a
 * pruned sweep killed with SIGKILL and resumed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { BIN, cli, runCli, tempDir, writeFile } from '../helpers.js';
import { query } from '../sweeps.js';

interface TrialJson {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, number>;
  epochs: Array<{ epoch: number; execution?: number; [k: string]: number | undefined }>;
  pruned_at?: number;
  model_path?: string;
  executions?: unknown[];
}

async function trials(dir: string, name: string, db = 'r.db'): Promise<TrialJson[]> {
  const r = await cli(['trials', name, '--db', db, '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as TrialJson[];
}

/** A learning curve rising towards x: x · (1 − e^−(step+1)/2), steps 0…5; stops when told to. */
const CURVE = `export default async function (p, trial) {
  let v = 0;
  for (let step = 0; step < 6; step++) {
    v = p.x * (1 - Math.exp(-(step + 1) / 2));
    trial.report(step, { value: v });
    if (trial.shouldPrune()) STOP;
  }
  return v;
}
`;

const gridSweep = (name: string, extra: string, xs = [0.9, 0.8, 0.7, 0.6, 0.5, 0.1, 0.2, 0.95]) =>
  `name: ${name}\nmethod: grid\nworkers: 1\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize}\nparameters:\n  x: {values: [${xs.join(', ')}]}\n${extra}`;

describe('pruning a program objective', () => {
  for (const [how, stop] of [
    ['returning', 'return v'],
    ["throwing Optuna's TrialPruned", "throw Object.assign(new Error('pruned'), { name: 'TrialPruned' })"],
  ] as const) {
    it(`median: stops exactly at the judged step (${how}); pruned trials are finished, kept with their steps, never ranked`, async () => {
      const dir = tempDir();
      writeFile(dir, 'obj.mjs', CURVE.replace('STOP', stop));
      writeFile(dir, 's.yaml', gridSweep('med', 'pruner: {type: median, n_startup_trials: 3}\n'));
      const run = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /med: 4 trial\(s\) complete, 4 pruned/);
      assert.match(run.stdout, /trial 3 pruned after step 0 value=0\.2361/);
      const all = await trials(dir, 'med');
      // By hand: at step 0 the complete trials (x 0.9, 0.8, 0.7) give a median of 0.8 · (1 − e^−½) = 0.315;
      // x 0.6, 0.5, 0.1, 0.2 are below it, x 0.95 stays above it at every step.
      assert.deepEqual(all.map((t) => t.state), ['complete', 'complete', 'complete', 'pruned', 'pruned', 'pruned', 'pruned', 'complete']);
      for (const t of all.filter((t) => t.state === 'pruned')) {
        assert.deepEqual(t.epochs.map((e) => e.epoch), [0], 'stopped at the step that was judged, not later');
        assert.equal(t.pruned_at, 0);
        assert.ok(Math.abs(t.value! - t.params.x! * (1 - Math.exp(-0.5))) < 1e-12);
      }
      assert.equal(all[7]!.epochs.length, 6);
      const best = JSON.parse((await cli(['best', 'med', '--db', 'r.db', '--json'], dir)).stdout) as TrialJson[];
      assert.deepEqual(best.map((t) => t.number), [7, 0, 1, 2]);
      const status = await cli(['status', 'med', '--db', 'r.db'], dir);
      assert.match(status.stdout, /8\/8 finished: 4 complete, 4 pruned; 0 running/);
      const list = JSON.parse((await cli(['list', '--db', 'r.db', '--json'], dir)).stdout) as Array<{ counts: Record<string, number> }>;
      assert.deepEqual([list[0]!.counts.complete, list[0]!.counts.pruned], [4, 4]);
      const csv = (await cli(['export', 'med', '--db', 'r.db', '--format', 'csv'], dir)).stdout.trim().split('\n');
      assert.equal(csv.length, 5, 'the leaderboard export ranks complete trials only');
    });
  }

  it('an objective that asks and carries on, or never asks, is not pruned; run_cap counts pruned trials', async () => {
    const dir = tempDir();
    // Asks at every step but the last and carries on: the result it returns stands.
    writeFile(dir, 'obj.mjs', CURVE.replace('if (trial.shouldPrune()) STOP;', 'if (step < 5 && trial.shouldPrune()) void 0;'));
    writeFile(dir, 'never.mjs', CURVE.replace('if (trial.shouldPrune()) STOP;', ''));
    writeFile(dir, 's.yaml', gridSweep('ignored', 'pruner: {type: median, n_startup_trials: 3}\n'));
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await trials(dir, 'ignored')).every((t) => t.state === 'complete' && t.epochs.length === 6));
    writeFile(dir, 'n.yaml', gridSweep('never', 'pruner: {type: median, n_startup_trials: 3}\n').replace('./obj.mjs', './never.mjs'));
    const n = await cli(['run', 'n.yaml', '--db', 'r.db'], dir);
    assert.equal(n.code, 0, n.stderr);
    assert.ok((await trials(dir, 'never')).every((t) => t.state === 'complete' && t.epochs.length === 6));

    writeFile(dir, 'obj2.mjs', CURVE.replace('STOP', 'return v'));
    writeFile(dir, 'c.yaml', `name: capped\nmethod: random\nseed: 4\nrun_cap: 12\nworkers: 2\nprogram: ./obj2.mjs\nmetric: {name: value, goal: maximize}\npruner: {type: median, n_startup_trials: 2}\nparameters:\n  x: {min: 0.0, max: 1.0}\n`);
    const c = await cli(['run', 'c.yaml', '--db', 'r.db'], dir);
    assert.equal(c.code, 0, c.stderr);
    const capped = await trials(dir, 'capped');
    assert.equal(capped.length, 12, 'twelve finished trials, complete and pruned together');
    assert.ok(capped.some((t) => t.state === 'pruned') && capped.some((t) => t.state === 'complete'));
  });

  it("W&B early_terminate (hyperband, min_iter 2, eta 2, strict) stops the trials its bands say, at the band", async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async (p, trial) => { for (let s = 1; s <= 4; s++) { trial.report(s, { value: p.x }); if (trial.shouldPrune()) return p.x; } return p.x; };\n');
    writeFile(dir, 's.yaml', gridSweep('wb', 'early_terminate: {type: hyperband, min_iter: 2, eta: 2}\n', [1.0, 0.9, 0.2, 0.1, 0.8]));
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const all = await trials(dir, 'wb');
    // By hand (values negated, r = 1/2): at band 2 the thresholds are 0.9, then 0.2 once x 0.2 is in, then 0.8;
    // x 0.2 and 0.1 fall behind at band 2; x 0.8 passes band 2 and falls behind 0.9 at band 4.
    assert.deepEqual(all.map((t) => [t.state, t.epochs.length]), [['complete', 4], ['complete', 4], ['pruned', 2], ['pruned', 2], ['pruned', 4]]);
  });
});

describe('pruning the built-in trainer', () => {
  it('threshold with early stopping and two executions: only the first execution is judged; a pruned trial saves no model', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'm.yaml',
      `name: mp\nmethod: grid\nseed: 5\nworkers: 2\nexecutions_per_trial: 2\npruner: {type: threshold, lower: 0.3}\nparameters:\n  learning_rate: {values: [0.000001, 0.01]}\ntrain: {epochs: 3, train_size: 300, batch_size: 32, early_stopping: true, patience: 1, monitor: val_accuracy}\n`,
    );
    const r = await cli(['run', 'm.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trial 0 pruned after epoch 1 val_accuracy=/);
    const [slow, fast] = await trials(dir, 'mp');
    assert.equal(slow!.state, 'pruned');
    assert.deepEqual(slow!.epochs.map((e) => [e.execution ?? 0, e.epoch]), [[0, 1]], 'stopped after the judged epoch, before a second execution');
    assert.ok(slow!.value! < 0.3);
    assert.equal(slow!.model_path, undefined);
    assert.equal(fast!.state, 'complete');
    assert.equal(fast!.executions!.length, 2);
    assert.ok(fast!.epochs.some((e) => e.execution === 1), 'the second execution ran in full');
    assert.ok(fast!.model_path);
  });
});

describe('budgets', () => {
  it('max_time: no trial starts after it, the run ends with exit 0 saying so, and the next run goes on', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async (p) => { await new Promise((r) => setTimeout(r, 300)); return p.x; };\n');
    writeFile(dir, 's.yaml', `name: timed\nmethod: random\nseed: 1\nrun_cap: 1000\nworkers: 1\nmax_time: 1\nprogram: ./obj.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n`);
    const started = Date.now();
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /timed: max_time \(1s\) reached: no new trial was started after it/);
    const first = await trials(dir, 'timed');
    assert.ok(first.length >= 2 && first.length <= 6, `${first.length} trials in about a second`);
    assert.ok(first.every((t) => t.state === 'complete'), 'running trials finished');
    assert.ok(Date.now() - started < 10_000);
    assert.equal(query<{ state: string }>(path.join(dir, 'r.db'), 'SELECT state FROM sweeps')[0]!.state, 'stopped');
    // --max-time overrides the file's; the clock starts again with the resumed run.
    const again = await cli(['run', 's.yaml', '--db', 'r.db', '--max-time', '1s'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.ok((await trials(dir, 'timed')).length > first.length);
    const bad = await cli(['run', 's.yaml', '--db', 'r.db', '--max-time', 'soon'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-time: expected a duration/);
  });

  it('metric.target: the sweep finishes once a trial reaches it', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default async (p) => p.x;\n');
    writeFile(dir, 's.yaml', `name: aimed\nmethod: random\nseed: 8\nrun_cap: 1000\nworkers: 1\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize, target: 0.9}\nparameters:\n  x: {min: 0.0, max: 1.0}\n`);
    const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /aimed: metric\.target 0\.9 reached \(best 0\.9\d*\)/);
    const all = await trials(dir, 'aimed');
    assert.ok(all.length < 1000);
    assert.ok(all.at(-1)!.value! >= 0.9);
    assert.ok(all.slice(0, -1).every((t) => t.value! < 0.9), 'it stopped at the first trial that reached it');
    const again = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
    assert.match(again.stdout, /already finished/);
  });
});

describe('pruner blocks that are wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['pruner: {type: median}\nearly_terminate: {type: hyperband, min_iter: 2}\n', /early_terminate: give "pruner" or W&B's "early_terminate", not both/],
    ['pruner: {type: median, reduction_factor: 3}\n', /pruner\.reduction_factor: does not apply to the median pruner \(it is a setting of successive_halving, hyperband\)/],
    ['pruner: {type: percentile}\n', /pruner\.percentile: is required for the percentile pruner/],
    ['pruner: {type: threshold}\n', /pruner: the threshold pruner needs "lower", "upper" or both/],
    ['pruner: {type: medain}\n', /pruner\.type: expected one of .*did you mean "median"\?/],
    ['pruner: {type: hyperband, min_resource: 4, max_resource: 2}\n', /pruner\.max_resource: expected max_resource ≥ min_resource \(4\), got 2/],
    ['pruner: {type: successive_halving, min_resource: soon}\n', /pruner\.min_resource: expected an integer ≥ 1 or "auto"/],
    ['early_terminate: {type: hyperband, max_iter: 27}\n', /early_terminate\.s: is required with "max_iter"/],
    ['early_terminate: {type: hyperband, eta: 3}\n', /early_terminate: expected "min_iter", or "max_iter" with "s"/],
    ['max_time: 8 hours\n', /max_time: expected a duration/],
  ];
  for (const [block, message] of cases) {
    it(`refuses ${JSON.stringify(block.trim())} with exit 2 and writes nothing`, async () => {
      const dir = tempDir();
      writeFile(dir, 'obj.mjs', 'export default async (p) => p.x;\n');
      writeFile(dir, 's.yaml', gridSweep('bad', block, [0.1]));
      const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /s\.yaml:\d+/);
    });
  }
});

describe('a pruned sweep killed with SIGKILL', () => {
  it('resumes: the pruned and complete trials stay as they were, the interrupted ones run again, run_cap finished trials', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', CURVE.replace('STOP', 'return v').replace('trial.report(step, { value: v });', 'trial.report(step, { value: v }); await new Promise((r) => setTimeout(r, 40));'));
    writeFile(dir, 's.yaml', `name: killed\nmethod: random\nseed: 6\nrun_cap: 24\nworkers: 2\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize}\npruner: {type: successive_halving, min_resource: 1, reduction_factor: 2}\nparameters:\n  x: {min: 0.0, max: 1.0}\n`);
    const child = spawn(process.execPath, [BIN, 'run', 's.yaml', '--db', 'r.db'], { cwd: dir, stdio: 'ignore', env: { ...process.env, TFSWEEP_DB: '' } });
    const db = path.join(dir, 'r.db');
    // Killed once some trials are pruned and others still run.
    for (let i = 0; i < 300; i++) {
      await delay(50);
      const counts = query<{ pruned: number }>(db, "SELECT COUNT(*) AS pruned FROM trials WHERE state = 'pruned'")[0];
      if ((counts?.pruned ?? 0) >= 3) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const before = query<{ id: number; state: string; value: number | null; epochs: number }>(db, 'SELECT id, state, value, (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs FROM trials t ORDER BY id');
    assert.ok(before.some((t) => t.state === 'pruned'));
    assert.ok(before.some((t) => t.state === 'running'), 'killed mid-trial');
    const resumed = await runCli(['run', 's.yaml', '--db', 'r.db'], { cwd: dir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = query<{ id: number; state: string; value: number | null; epochs: number; config_index: number }>(db, 'SELECT id, state, value, config_index, (SELECT COUNT(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs FROM trials t ORDER BY id');
    for (const t of before.filter((t) => t.state === 'pruned' || t.state === 'complete')) {
      assert.deepEqual(after.find((a) => a.id === t.id), { ...t, config_index: after.find((a) => a.id === t.id)!.config_index });
    }
    const finished = after.filter((t) => t.state === 'complete' || t.state === 'pruned');
    assert.equal(finished.length, 24);
    assert.equal(new Set(finished.map((t) => t.config_index)).size, 24, 'no configuration finished twice');
    assert.equal(after.filter((t) => t.state === 'running').length, 0);
    assert.deepEqual(query(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  });
});
