/**
 * Several objectives and constraints end to end: real worker threads, a real SQLite file, the CLI as a user
 * runs it, the report in a real browser; and the trainer's size and speed metrics on real MNIST training.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFile } from '../helpers.js';
import { cli, query } from '../sweeps.js';
import { CHROMIUM_SKIP, chartsDrawn, launch, watchedPage } from '../browser.js';

/** Two objectives to minimize, ZDT1-like, plus a metric to constrain. */
const PROGRAM = `export default async ({ x, y }) => {
  const g = 1 + 9 * y;
  return { f1: x, f2: g * (1 - Math.sqrt(x / g)), cost: x + y };
};
`;
const sweepFile = (name: string, extra: string) =>
  `name: ${name}\nmethod: bayes\nseed: 5\nrun_cap: 24\nworkers: 2\nprogram: ./zdt.mjs\nparameters:\n  x: {min: 0.0, max: 1.0}\n  y: {min: 0.0, max: 1.0}\nbayes: {n_startup_trials: 8}\n${extra}`;

type Row = { number: number; state: string; metrics: Record<string, number> | null; pareto?: boolean; values?: Record<string, number> };

const dominates = (a: number[], b: number[]) => a.every((v, i) => v <= b[i]!) && a.some((v, i) => v < b[i]!);

describe('multi-objective sweeps through the CLI', () => {
  const dir = tempDir();
  writeFile(dir, 'zdt.mjs', PROGRAM);
  writeFile(dir, 'mo.yaml', sweepFile('mo', 'metrics: [{name: f1, goal: minimize}, {name: f2, goal: minimize}]\nconstraints: [{name: cost, max: 1.2}]\n'));

  it('best --json is exactly the Pareto set of the complete trials that meet the constraints', async () => {
    const run = await cli(['run', 'mo.yaml', '--db', 'r.db'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Pareto front: \d+ trial\(s\)/);
    const trials = JSON.parse((await cli(['trials', 'mo', '--db', 'r.db', '--json'], dir)).stdout) as Row[];
    assert.equal(trials.filter((t) => t.state === 'complete').length, 24);
    const feasible = trials.filter((t) => t.state === 'complete' && t.metrics!.cost! <= 1.2);
    assert.ok(feasible.length < 24, 'some trials break the constraint (the test would not test it otherwise)');
    const point = (t: Row) => [t.metrics!.f1!, t.metrics!.f2!];
    const expected = feasible.filter((t) => !feasible.some((u) => dominates(point(u), point(t)))).map((t) => t.number).sort((a, b) => a - b);
    const best = JSON.parse((await cli(['best', 'mo', '--db', 'r.db', '--json'], dir)).stdout) as Row[];
    assert.deepEqual(best.map((t) => t.number).sort((a, b) => a - b), expected);
    assert.ok(best.every((t) => t.pareto === true && t.values!.f1 === t.metrics!.f1 && t.values!.f2 === t.metrics!.f2));
    // The values are stored per objective, in the order of metrics:.
    const stored = query<{ number: number; values_json: string }>(path.join(dir, 'r.db'), "SELECT number, values_json FROM trials WHERE state = 'complete' ORDER BY number");
    for (const row of stored) {
      const t = trials.find((u) => u.number === row.number)!;
      assert.deepEqual(JSON.parse(row.values_json), point(t));
    }
    // Ranked by one objective: f2 ascending, among the trials that meet the constraint.
    const byF2 = JSON.parse((await cli(['best', 'mo', '--db', 'r.db', '--json', '--metric', 'f2', '-k', '3'], dir)).stdout) as Row[];
    assert.deepEqual(byF2.map((t) => t.number), [...feasible].sort((a, b) => a.metrics!.f2! - b.metrics!.f2! || a.number - b.number).slice(0, 3).map((t) => t.number));
    const wrong = await cli(['best', 'mo', '--db', 'r.db', '--metric', 'cost'], dir);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /"cost" is not one of its objectives/);
    // The export's pareto column marks the same trials.
    const csv = (await cli(['export', 'mo', '--db', 'r.db', '--format', 'csv'], dir)).stdout.trim().split('\n');
    const head = csv[0]!.split(',');
    assert.equal(head[2], 'pareto');
    const marked = csv.slice(1).map((l) => l.split(',')).filter((c) => c[2] === 'true').map((c) => Number(c[1])).sort((a, b) => a - b);
    assert.deepEqual(marked, expected);
    // Importance per objective.
    const importance = JSON.parse((await cli(['importance', 'mo', '--db', 'r.db', '--json'], dir)).stdout) as Record<string, { importances: Record<string, number> }>;
    assert.deepEqual(Object.keys(importance), ['f1', 'f2']);
  });

  it('the report draws the front and the hypervolume history in a browser', { skip: CHROMIUM_SKIP }, async () => {
    const r = await cli(['report', 'mo', '--db', 'r.db', '-o', 'mo.html'], dir);
    assert.equal(r.code, 0, r.stderr);
    const browser = await launch();
    try {
      const { page, errors } = await watchedPage(browser);
      await page.goto(`file://${path.join(dir, 'mo.html')}`);
      const drawn = await chartsDrawn(page);
      assert.equal(drawn['pareto-chart'], true);
      assert.equal(drawn['hypervolume-chart'], true);
      assert.equal(drawn['importance-chart-2'], true, 'the second objective has its importance chart');
      const note = await page.locator('#pareto .note').first().textContent();
      const best = JSON.parse((await cli(['best', 'mo', '--db', 'r.db', '--json'], dir)).stdout) as Row[];
      assert.match(note!, new RegExp(`^${best.length} of \\d+ complete trials are Pareto-optimal`));
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  it('a number alone cannot say which objective it is: the trial fails and says what to return', async () => {
    writeFile(dir, 'num.mjs', 'export default async ({ x }) => x;\n');
    writeFile(dir, 'num.yaml', sweepFile('num', 'metrics: [{name: f1, goal: minimize}, {name: f2, goal: minimize}]\nmax_consecutive_failures: 2\n').replace('./zdt.mjs', './num.mjs'));
    const run = await cli(['run', 'num.yaml', '--db', 'r.db'], dir);
    assert.notEqual(run.code, 0);
    const trials = JSON.parse((await cli(['trials', 'num', '--db', 'r.db', '--json'], dir)).stdout) as Array<{ state: string; error: string }>;
    assert.ok(trials.length >= 2 && trials.every((t) => t.state === 'failed'));
    assert.match(trials[0]!.error, /the objective returned the number [\d.]+, but this sweep needs a record holding each of "f1", "f2"/);
  });

  it('one objective under a constraint: best never lists a trial that breaks it', async () => {
    writeFile(dir, 'c.yaml', sweepFile('c', 'metric: {name: f2, goal: minimize}\nconstraints: [{name: cost, max: 0.8}]\n'));
    assert.equal((await cli(['run', 'c.yaml', '--db', 'r.db'], dir)).code, 0);
    const trials = JSON.parse((await cli(['trials', 'c', '--db', 'r.db', '--json'], dir)).stdout) as Row[];
    const feasible = trials.filter((t) => t.state === 'complete' && t.metrics!.cost! <= 0.8);
    const best = JSON.parse((await cli(['best', 'c', '--db', 'r.db', '--json', '-k', '100'], dir)).stdout) as Row[];
    assert.deepEqual(best.map((t) => t.number), [...feasible].sort((a, b) => a.metrics!.f2! - b.metrics!.f2! || a.number - b.number).map((t) => t.number));
    assert.ok(trials.some((t) => t.state === 'complete' && t.metrics!.cost! > 0.8), 'some trials broke the constraint and were left out');
  });
});

describe('what the trainer records of a model', () => {
  it('params counts the trainable weights of the layers built; model_bytes is the saved weights file', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      't.yaml',
      'name: t\nmethod: grid\nseed: 2\nmetrics: [{name: val_accuracy, goal: maximize}, {name: params, goal: minimize}]\nparameters:\n  layers: {values: [0, 1, 2]}\n  units: {values: [16, 24]}\ntrain: {epochs: 1, train_size: 400, batch_size: 32}\n',
    );
    const run = await cli(['run', 't.yaml', '--db', 'r.db'], dir);
    assert.equal(run.code, 0, run.stderr);
    const trials = JSON.parse((await cli(['trials', 't', '--db', 'r.db', '--json'], dir)).stdout) as Array<Row & { params: { layers: number; units?: number }; model_path?: string }>;
    // units applies only with a hidden layer: 1 + 2 + 2 distinct configurations.
    assert.equal(trials.length, 5);
    for (const t of trials) {
      const { layers, units = 0 } = t.params;
      const width = layers === 0 ? 784 : units;
      const expected = layers === 0 ? 784 * 10 + 10 : 784 * units + units + (layers - 1) * (units * units + units) + width * 10 + 10;
      assert.equal(t.metrics!.params, expected, `trial ${t.number}: layers=${layers} units=${units}`);
      assert.equal(t.metrics!.model_bytes, 4 * expected);
      assert.ok(t.metrics!.inference_ms! > 0 && t.metrics!.inference_ms! < 1000);
      if (t.model_path) assert.equal(statSync(path.resolve(dir, t.model_path, 'weights.bin')).size, t.metrics!.model_bytes);
    }
    assert.ok(trials.some((t) => t.model_path), 'models were saved, so the file size was compared');
  });
});
