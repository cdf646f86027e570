/**
 * What tfsweep itself costs per trial, measured as Optuna's figures were: a trivial objective with 3
 * parameters reporting 5 intermediate values, 1,000 trials, SQLite on disk, through the real `runSweep` path
 * (worker thread, message ports, one transaction per report) with one worker. Also the TPE's suggest time with
 * 1,000 completed trials of 8 parameters, and the GP's suggest time with 100, 300 and 1,000.
 *
 *   npm run bench:cost            (BENCH_COST_TRIALS=1000)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSweep } from '../src/orchestrator/run-sweep.js';
import { TPE_DEFAULTS, TpeSampler } from '../src/samplers/tpe/tpe.js';
import { GpSampler } from '../src/samplers/gp/gp.js';
import type { Distribution, Params } from '../src/space/distributions.js';
import { createRng } from '../src/space/rng.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import type { TrialRecord } from '../src/storage/storage.js';
import { median, writeResult } from './common.js';

const TRIALS = Number(process.env.BENCH_COST_TRIALS ?? 1000);
const OPTUNA = { random: { per_trial_ms: 1000 / 22.9, last50_ms: 43.5 }, bayes: { per_trial_ms: 1000 / 10.8, last50_ms: 120.1 } };

async function endToEnd(method: 'random' | 'bayes') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-cost-'));
  writeFileSync(
    path.join(dir, 'trivial.mjs'),
    'export default async ({ x, y, c }, trial) => { for (let s = 0; s < 5; s++) trial.report(s, { v: x + s }); return x * x + y + (c === "a" ? 0 : 1); };\n',
  );
  const source = `name: cost-${method}\nmethod: ${method}\n${method === 'bayes' ? 'bayes: {sampler: tpe}\n' : ''}seed: 1\nrun_cap: ${TRIALS}\nprogram: ./trivial.mjs\nparameters:\n  x: {min: -10.0, max: 10.0}\n  y: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0}\n  c: {values: [a, b, c]}\n`;
  const loaded = parseSpecText(source, path.join(dir, 'cost.yaml'), dir);
  const storage = new SqliteStorage(path.join(dir, 'cost.db'));
  const t0 = performance.now();
  await runSweep({ loaded, storage, workers: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const trials = await storage.listTrials((await storage.getSweep(`cost-${method}`))!.id);
  const ends = trials.map((t) => Date.parse(t.endedAt!));
  const last50 = (ends[ends.length - 1]! - ends[ends.length - 51]!) / 50;
  const steps = (storage.db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number }).n;
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  return { trials: trials.length, steps_stored: steps, seconds, per_trial_ms: (seconds * 1000) / trials.length, last50_ms: last50 };
}

const SPACE8: Record<string, Distribution> = {
    lr: { type: 'log_uniform_values', min: 1e-5, max: 1e-1 },
    units: { type: 'int_uniform', min: 16, max: 512, q: 16 },
    dropout: { type: 'uniform', min: 0, max: 0.7 },
    optimizer: { type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] },
    batch: { type: 'categorical', values: [32, 64, 128, 256] },
    layers: { type: 'int_uniform', min: 1, max: 5, q: 1 },
    l2: { type: 'log_uniform_values', min: 1e-6, max: 1e-2 },
    momentum: { type: 'q_uniform', min: 0, max: 0.99, q: 0.01 },
};

/** 1,000 completed trials of the 8 parameters (random draws, random values). */
function history8(): TrialRecord[] {
  const space = SPACE8;
  const rng = createRng(1);
  const history: TrialRecord[] = [];
  const seedSampler = new TpeSampler(space, 'minimize', 1, { ...TPE_DEFAULTS, n_startup_trials: 1e9 });
  for (let i = 0; i < 1000; i++) {
    const params: Params = seedSampler.sample(i, history);
    history.push({ id: i + 1, sweepId: 1, number: i, configIndex: i, state: 'complete', params, distributions: {}, value: rng(), metrics: null, seed: 0, backend: null, startedAt: null, endedAt: null, error: null });
  }
  return history;
}

function suggestAt1000(history: TrialRecord[]): { independent_ms: number; multivariate_ms: number } {
  const space = SPACE8;
  const time = (multivariate: boolean): number => {
    const tpe = new TpeSampler(space, 'minimize', 2, { ...TPE_DEFAULTS, multivariate });
    const samples: number[] = [];
    for (let r = 0; r < 20; r++) {
      const t = performance.now();
      tpe.sample(1000 + r, history);
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  return { independent_ms: time(false), multivariate_ms: time(true) };
}

/** The GP's suggest time (median of 5) after `n` completed trials of the same 8 parameters: it grows with n³. */
function gpSuggest(history: TrialRecord[], n: number): number {
  const gp = new GpSampler(SPACE8, 'minimize', 2);
  const samples: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    gp.sample(n + r, history.slice(0, n));
    samples.push(performance.now() - t);
  }
  return median(samples);
}

const random = await endToEnd('random');
const bayes = await endToEnd('bayes');
const history = history8();
const suggest = suggestAt1000(history);
const gp = { at_100_ms: gpSuggest(history, 100), at_300_ms: gpSuggest(history, 300), at_1000_ms: gpSuggest(history, 1000) };

console.log(`\nCost per trial: trivial program, 3 parameters, 5 reports per trial, ${TRIALS} trials, SQLite file, 1 worker thread`);
console.log('| sampler | tfsweep ms/trial | tfsweep ms/trial, last 50 | Optuna + SQLite ms/trial | Optuna last 50 |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| random | ${random.per_trial_ms.toFixed(2)} | ${random.last50_ms.toFixed(2)} | ${OPTUNA.random.per_trial_ms.toFixed(1)} | ${OPTUNA.random.last50_ms} |`);
console.log(`| TPE | ${bayes.per_trial_ms.toFixed(2)} | ${bayes.last50_ms.toFixed(2)} | ${OPTUNA.bayes.per_trial_ms.toFixed(1)} | ${OPTUNA.bayes.last50_ms} |`);
console.log(`\nTPE suggest with 1,000 completed trials of 8 parameters: ${suggest.multivariate_ms.toFixed(2)} ms multivariate (the default), ${suggest.independent_ms.toFixed(2)} ms independent`);
console.log(`GP suggest with 8 parameters: ${gp.at_100_ms.toFixed(1)} ms after 100 completed trials, ${gp.at_300_ms.toFixed(1)} ms after 300, ${gp.at_1000_ms.toFixed(1)} ms after 1,000 (fitted on 300 of them)`);
console.log(`\nwrote ${writeResult('cost', { trials: TRIALS, random, bayes, suggest_1000_trials_8_params: suggest, gp_suggest_8_params: gp, optuna: OPTUNA })}`);
