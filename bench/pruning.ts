/**
 * What pruning saves and what it costs. Part 1: the same MNIST MLP search (BENCH_CONFIGS random configurations,
 * default 24, of up to 8 epochs, 2 workers) with no pruner, median, ASHA and Hyperband, over BENCH_SEEDS seeds
 * (default 3): epochs trained, wall time, the best val_accuracy and the test accuracy of its model. Target:
 * ASHA or Hyperband within 0.5 points of the unpruned best with at most 40% of its epochs.
 *
 * Part 2: each pruner (and W&B's early_terminate) on synthetic learning curves through a `program:` objective
 * (BENCH_CURVE_SEEDS seeds, default 20): configurations whose curves rise at different speeds towards
 * different ceilings, some slow starters ending best. How often is the eventually-best configuration pruned,
 * and what share of the steps run?
 *
 *   npm run bench:pruning        (BENCH_CONFIGS, BENCH_SEEDS, BENCH_CURVE_SEEDS, BENCH_PART=1|2)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSweep } from '../src/orchestrator/run-sweep.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { bestFirst } from '../src/core/records.js';
import { writeResult } from './common.js';

const CONFIGS = Number(process.env.BENCH_CONFIGS ?? 24);
const SEEDS = Number(process.env.BENCH_SEEDS ?? 3);
const CURVE_SEEDS = Number(process.env.BENCH_CURVE_SEEDS ?? 20);
const PART = process.env.BENCH_PART;

const PRUNERS: Record<string, string> = {
  none: '',
  median: 'pruner: {type: median}\n',
  asha: 'pruner: {type: successive_halving}\n',
  hyperband: 'pruner: {type: hyperband}\n',
};

interface Run {
  pruner: string;
  seed: number;
  epochs: number;
  seconds: number;
  pruned: number;
  best: number;
  bestTrial: number;
  test: number | null;
}

async function mnistRun(pruner: string, seed: number): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-prune-'));
  const source = `name: prune-${pruner}-${seed}
method: random
seed: ${seed}
run_cap: ${CONFIGS}
metric: {name: val_accuracy, goal: maximize}
parameters:
  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 3.0e-1}
  units: {values: [32, 64, 128, 256]}
  batch_size: {values: [32, 64, 128]}
  optimizer: {values: [adam, sgd, rmsprop]}
  dropout: {distribution: uniform, min: 0.0, max: 0.5}
train: {epochs: 8, train_size: 12000}
${PRUNERS[pruner]}`;
  const loaded = parseSpecText(source, path.join(dir, 's.yaml'), dir);
  const storage = new SqliteStorage(path.join(dir, 'r.db'));
  try {
    const t0 = performance.now();
    await runSweep({ loaded, storage, workers: 2, modelsDir: path.join(dir, 'models') });
    const seconds = (performance.now() - t0) / 1000;
    const sweep = (await storage.getSweep(loaded.spec.name))!;
    const trials = await storage.listTrials(sweep.id, { withEpochs: true });
    const best = bestFirst('maximize', trials)[0]!;
    return {
      pruner,
      seed,
      epochs: trials.reduce((n, t) => n + (t.epochs?.length ?? 0), 0),
      seconds,
      pruned: trials.filter((t) => t.state === 'pruned').length,
      best: best.value!,
      bestTrial: best.number,
      test: best.testMetrics?.test_accuracy ?? null,
    };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Synthetic curves: configuration x (in [0, 1]) rises towards a ceiling that peaks at x = 0.7, with a time
 * constant tau. Two families: "independent" (tau drawn per configuration, unrelated to its ceiling, as for
 * most learning-rate/width choices) and "crossing" (tau grows with x, so the best configurations start
 * slowly and overtake the others late: the case that fools a pruner). Seeded noise per step.
 */
const CURVES = (family: 'independent' | 'crossing'): string => `
function rng(seed) { let s = seed >>> 0; return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296); }
export default async function (p, trial) {
  const ceiling = 0.9 - 0.6 * (p.x - 0.7) ** 2;
  const noise = rng(Math.round(p.x * 1e9));
  const tau = ${family === 'crossing' ? '0.5 + 6 * p.x' : '0.5 + 6 * noise()'};
  let v = 0;
  for (let step = 0; step < 16; step++) {
    v = ceiling * (1 - Math.exp(-(step + 1) / tau)) + 0.01 * (noise() - 0.5);
    trial.report(step, { value: v });
    if (trial.shouldPrune()) return v;
  }
  return v;
}
`;

const CURVE_PRUNERS: Record<string, string> = {
  none: '',
  median: 'pruner: {type: median}\n',
  'median (warm-up 4)': 'pruner: {type: median, n_warmup_steps: 4}\n',
  asha: 'pruner: {type: successive_halving}\n',
  hyperband: 'pruner: {type: hyperband}\n',
  'wandb hyperband': 'early_terminate: {type: hyperband, min_iter: 2, eta: 3}\n',
};

interface CurveRun {
  family: string;
  pruner: string;
  seed: number;
  bestPruned: boolean;
  stepShare: number;
  bestFound: boolean;
  /** Ceiling of the true best configuration minus that of the configuration the sweep ranks first, in points. */
  regret: number;
}

async function curveRun(family: 'independent' | 'crossing', name: string, block: string, seed: number): Promise<CurveRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-curves-'));
  writeFileSync(path.join(dir, 'obj.mjs'), CURVES(family));
  const source = `name: curves\nmethod: random\nseed: ${seed}\nrun_cap: 30\nworkers: 2\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize}\nparameters:\n  x: {min: 0.0, max: 1.0}\n${block}`;
  const loaded = parseSpecText(source, path.join(dir, 's.yaml'), dir);
  const storage = new SqliteStorage(path.join(dir, 'r.db'));
  try {
    await runSweep({ loaded, storage, workers: 2 });
    const sweep = (await storage.getSweep('curves'))!;
    const trials = await storage.listTrials(sweep.id, { withEpochs: true });
    // The eventually-best configuration: the highest ceiling (noise aside), known from x.
    const ceiling = (x: number): number => 0.9 - 0.6 * (x - 0.7) ** 2;
    const truth = [...trials].sort((a, b) => ceiling(b.params.x as number) - ceiling(a.params.x as number))[0]!;
    const steps = trials.reduce((n, t) => n + (t.epochs?.length ?? 0), 0);
    const found = bestFirst('maximize', trials)[0];
    return {
      family,
      pruner: name,
      seed,
      bestPruned: truth.state === 'pruned',
      stepShare: steps / (trials.length * 16),
      bestFound: found?.number === truth.number,
      regret: 100 * (ceiling(truth.params.x as number) - (found ? ceiling(found.params.x as number) : 0)),
    };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const out: { mnist?: Run[]; curves?: CurveRun[] } = {};

if (PART !== '2') {
  const runs: Run[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    for (const pruner of Object.keys(PRUNERS)) {
      const r = await mnistRun(pruner, seed);
      runs.push(r);
      console.error(`seed ${seed} ${pruner}: ${r.epochs} epochs, ${r.seconds.toFixed(1)} s, ${r.pruned} pruned, best val ${r.best.toFixed(4)} (trial ${r.bestTrial}), test ${r.test?.toFixed(4) ?? '–'}`);
    }
  }
  out.mnist = runs;
  console.log(`\nMNIST MLP, ${CONFIGS} random configurations of up to 8 epochs, 2 workers, ${SEEDS} seeds (means; "vs none" per seed, then averaged)`);
  console.log('| pruner | epochs | share of epochs | wall s | pruned | best val_accuracy | Δ best vs none (points) | test accuracy of the best |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const pruner of Object.keys(PRUNERS)) {
    const mine = runs.filter((r) => r.pruner === pruner);
    const base = (seed: number) => runs.find((r) => r.pruner === 'none' && r.seed === seed)!;
    const share = mean(mine.map((r) => r.epochs / base(r.seed).epochs));
    const delta = mean(mine.map((r) => 100 * (r.best - base(r.seed).best)));
    const tests = mine.map((r) => r.test).filter((t): t is number => t !== null);
    console.log(
      `| ${pruner} | ${mean(mine.map((r) => r.epochs)).toFixed(0)} | ${(100 * share).toFixed(0)}% | ${mean(mine.map((r) => r.seconds)).toFixed(0)} | ${mean(mine.map((r) => r.pruned)).toFixed(1)} | ${mean(mine.map((r) => r.best)).toFixed(4)} | ${delta >= 0 ? '+' : ''}${delta.toFixed(2)} (worst ${Math.min(...mine.map((r) => 100 * (r.best - base(r.seed).best))).toFixed(2)}) | ${tests.length ? mean(tests).toFixed(4) : '–'} |`,
    );
  }
  for (const p of ['asha', 'hyperband']) {
    const mine = runs.filter((r) => r.pruner === p);
    const base = (seed: number) => runs.find((r) => r.pruner === 'none' && r.seed === seed)!;
    const close = (r: Run): boolean => 100 * (base(r.seed).best - r.best) <= 0.5;
    const share = (r: Run): number => r.epochs / base(r.seed).epochs;
    const onMean = mine.every(close) && mean(mine.map(share)) <= 0.4;
    const everySeed = mine.every((r) => close(r) && share(r) <= 0.4);
    console.log(
      `target (${p}: within 0.5 points of the unpruned best with ≤ 40% of its epochs): ${onMean ? 'met' : 'not met'} on the mean, ${everySeed ? 'met' : 'not met'} on every seed (shares ${mine.map((r) => `${(100 * share(r)).toFixed(0)}%`).join(', ')})`,
    );
  }
}

if (PART !== '1') {
  const runs: CurveRun[] = [];
  for (const family of ['independent', 'crossing'] as const) {
    for (const [name, block] of Object.entries(CURVE_PRUNERS)) {
      for (let seed = 1; seed <= CURVE_SEEDS; seed++) runs.push(await curveRun(family, name, block, seed));
      const mine = runs.filter((r) => r.pruner === name && r.family === family);
      console.error(`curves ${family} ${name}: best pruned in ${mine.filter((r) => r.bestPruned).length}/${mine.length}`);
    }
  }
  out.curves = runs;
  console.log(`\nSynthetic learning curves (program objective), 30 random configurations × 16 steps, 2 workers, ${CURVE_SEEDS} seeds`);
  console.log('| curves | pruner | eventually-best configuration pruned | ranked first | regret, points (mean / worst) | share of steps run |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const family of ['independent', 'crossing']) {
    for (const name of Object.keys(CURVE_PRUNERS)) {
      const mine = runs.filter((r) => r.pruner === name && r.family === family);
      const regrets = mine.map((r) => r.regret);
      console.log(
        `| ${family} | ${name} | ${mine.filter((r) => r.bestPruned).length}/${mine.length} | ${mine.filter((r) => r.bestFound).length}/${mine.length} | ${mean(regrets).toFixed(2)} / ${Math.max(...regrets).toFixed(2)} | ${(100 * mean(mine.map((r) => r.stepShare))).toFixed(0)}% |`,
      );
    }
  }
}
console.log(`\nwrote ${writeResult('pruning', out)}`);
