/**
 * Multi-objective search quality and cost: DTLZ2 (5 variables) and ZDT1 (6), both objectives minimized,
 * 150 trials, median hypervolume over 10 seeds with reference point (1.1, 1.1), beside Optuna 3.1's MOTPE,
 * NSGA-II and random search on the same budget. Runs on the ask-and-tell API over SQLite (in memory), the
 * objective called in-process and told as a record {f1, f2}. Then the cost per trial (ask + tell) of the
 * multi-objective TPE against the single-objective TPE on the same space, side by side, median of rounds.
 *
 *   npm run bench:multi-objective        (BENCH_SEEDS=10 BENCH_TRIALS=150)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sweep } from '../src/orchestrator/sweep.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { hypervolume } from '../src/core/pareto.js';
import { median, writeResult } from './common.js';
import { MULTI_OBJECTIVE_FUNCTIONS } from './functions.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 10);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 150);
const COST_ROUNDS = Number(process.env.BENCH_COST_ROUNDS ?? 5);

const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-mo-'));
// The sweep file names a program (the CLI would run it); here the objective is computed in-process.
writeFileSync(path.join(dir, 'objective.mjs'), 'export default () => ({ f1: 0, f2: 0 });\n');

type Variant = { label: string; method: 'bayes' | 'random'; block: string };
const VARIANTS: Variant[] = [
  { label: 'tfsweep bayes, defaults (auto: multi-objective TPE)', method: 'bayes', block: '' },
  { label: "bayes, sampler: tpe with Optuna's settings", method: 'bayes', block: 'bayes: {sampler: tpe, multivariate: false, bandwidth_factor: 0.2, magic_clip_exponent: 1, min_step_bandwidth: 0}\n' },
  { label: 'tfsweep random', method: 'random', block: '' },
];

function sweepText(name: string, method: string, n: number, seed: number, objectives: string, block: string): string {
  const params = Array.from({ length: n }, (_, i) => `  x${i}: {min: 0.0, max: 1.0}`).join('\n');
  return `name: ${name}\nmethod: ${method}\nseed: ${seed}\nrun_cap: ${TRIALS}\nprogram: ./objective.mjs\n${objectives}\nparameters:\n${params}\n${block}`;
}

const TWO = 'metrics: [{name: f1, goal: minimize}, {name: f2, goal: minimize}]';
const ONE = 'metric: {name: f1, goal: minimize}';

/** One sweep through ask and tell; the points it found and the milliseconds each trial's ask + tell took. */
async function runOnce(text: string, f: (x: number[]) => [number, number], n: number): Promise<{ points: number[][]; msPerTrial: number }> {
  const loaded = parseSpecText(text, path.join(dir, 'mo.yaml'), dir);
  const storage = new SqliteStorage(':memory:');
  const { sweep } = await Sweep.open(storage, loaded, { identity: { host: 'bench', pid: 1, token: 'bench/1' } });
  const points: number[][] = [];
  let spent = 0;
  for (;;) {
    const t0 = performance.now();
    const trial = await sweep!.ask();
    spent += performance.now() - t0;
    if (!trial) break;
    const v = f(Array.from({ length: n }, (_, k) => trial.params[`x${k}`] as number));
    points.push(v);
    const t1 = performance.now();
    await sweep!.tell(trial, { f1: v[0], f2: v[1] });
    spent += performance.now() - t1;
  }
  await sweep!.close();
  await storage.close();
  return { points, msPerTrial: spent / points.length };
}

const quality: Record<string, Record<string, { median_hypervolume: number; min: number; max: number }>> = {};
for (const [name, problem] of Object.entries(MULTI_OBJECTIVE_FUNCTIONS)) {
  quality[name] = {};
  for (const v of VARIANTS) {
    const hvs: number[] = [];
    for (let seed = 0; seed < SEEDS; seed++) {
      const { points } = await runOnce(sweepText(`${name}-${seed}`, v.method, problem.n, seed, TWO, v.block), problem.f, problem.n);
      hvs.push(hypervolume(points, [1.1, 1.1]));
    }
    quality[name]![v.label] = { median_hypervolume: median(hvs), min: Math.min(...hvs), max: Math.max(...hvs) };
    console.error(`${name} ${v.label}: ${median(hvs).toFixed(4)}`);
  }
}

// Cost: the same space and budget, two objectives against one (the first), alternating rounds.
const cost = { multi: [] as number[], single: [] as number[] };
const problem = MULTI_OBJECTIVE_FUNCTIONS.zdt1!;
for (let round = 0; round < COST_ROUNDS; round++) {
  cost.multi.push((await runOnce(sweepText(`c-${round}`, 'bayes', problem.n, round, TWO, 'bayes: {sampler: tpe}\n'), problem.f, problem.n)).msPerTrial);
  cost.single.push((await runOnce(sweepText(`c-${round}`, 'bayes', problem.n, round, ONE, 'bayes: {sampler: tpe}\n'), problem.f, problem.n)).msPerTrial);
}
const ratios = cost.multi.map((m, i) => m / cost.single[i]!);
rmSync(dir, { recursive: true, force: true });

console.log(`\nMedian hypervolume over ${SEEDS} seeds after ${TRIALS} trials, reference point (1.1, 1.1); higher is better`);
console.log("| problem | tfsweep bayes (defaults) | tpe with Optuna's settings | tfsweep random | Optuna MOTPE | Optuna NSGA-II | Optuna random |");
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const [name, byVariant] of Object.entries(quality)) {
  const o = MULTI_OBJECTIVE_FUNCTIONS[name]!.optuna;
  const cells = VARIANTS.map((v) => byVariant[v.label]!.median_hypervolume.toFixed(4));
  console.log(`| ${name} | ${cells.join(' | ')} | ${o.motpe} | ${o.nsga2} | ${o.random} |`);
}
console.log(`\nCost per trial (ask + tell, SQLite in memory, ZDT1, ${TRIALS} trials, TPE), median of ${COST_ROUNDS} rounds: two objectives ${median(cost.multi).toFixed(2)} ms, one ${median(cost.single).toFixed(2)} ms; ratio ${median(ratios).toFixed(2)}`);
console.log(`\nwrote ${writeResult('multi-objective', { seeds: SEEDS, trials: TRIALS, quality, optuna: Object.fromEntries(Object.entries(MULTI_OBJECTIVE_FUNCTIONS).map(([k, v]) => [k, v.optuna])), cost: { ...cost, median_ratio: median(ratios) } })}`);
