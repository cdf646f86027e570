/**
 * Two trainings on two cores: how much faster two run at once than one, for bare tfjs `model.fit` in two
 * worker threads against tfsweep's 2-worker pool, side by side in one run. Training here is memory-bound, so
 * neither reaches 2×; tfsweep's speed-up should be at least 0.95× the bare pair's.
 *
 * Starting a pool (two threads importing tfjs and warming up at once) is a fixed cost that a sweep of 8 short
 * trials cannot hide; the second half of a 32-trial sweep measures the speed-up once the workers run and have
 * warmed up, as in a long sweep.
 *
 *   npm run bench:scaling          (BENCH_ROUNDS=3; 8 and 32 trials of MLP 784-128-10, batch 32, 2 epochs of 5,400 images)
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { FusedAdam } from '../src/trainer/wasm/adam.js';
import { median } from 'simple-statistics';
import { writeResult } from './common.js';
import { runSweep } from '../src/orchestrator/run-sweep.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { initBackend } from '../src/trainer/backend.js';
import { makeSplits } from '../src/trainer/data.js';
import { loadMnist } from '../src/trainer/mnist.js';
import { referenceModel } from './models.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TRAIN_SIZE = 6000;
const EPOCHS = 2;
const BATCH = 32;
const TRIALS = 8;
/** The sweep whose second half gives the steady speed-up. */
const LONG = 32;

let cached: ReturnType<typeof makeSplits> | undefined;

/**
 * One bare model.fit of the reference MLP, as a tfsweep trial would train it (same data, same kernels, same
 * optimizer). The arrays are built once per thread, as a tfsweep worker builds them once per sweep: building
 * them is single-threaded JS that two threads do in parallel perfectly, and would flatter the bare pair.
 */
async function bareFit(): Promise<number> {
  cached ??= makeSplits(loadMnist().train, { trainSize: TRAIN_SIZE, validationSplit: 0.1, sweepSeed: 1 });
  const splits = cached;
  const xs = tf.tensor4d(splits.train.x, [splits.train.count, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(splits.train.y, 'int32'), 10);
  const xv = tf.tensor4d(splits.validation.x, [splits.validation.count, 28, 28, 1]);
  const yv = tf.oneHot(tf.tensor1d(splits.validation.y, 'int32'), 10);
  const model = referenceModel('mlp');
  // tfsweep's Adam, as a trial uses: the bare fit differs from a trial only in what tfsweep adds around it.
  const optimizer = new FusedAdam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: BATCH, shuffle: true, validationData: [xv, yv], verbose: 0, yieldEvery: 'never' });
  const ms = performance.now() - t0;
  model.dispose();
  optimizer.dispose();
  tf.dispose([xs, ys, xv, yv]);
  return ms;
}

if (!isMainThread) {
  await initBackend();
  // Warm-up (tfjs and the kernels' first calls), unless the thread is to be timed from its start.
  if ((workerData as { warm: boolean }).warm) await bareFit();
  const port = parentPort!;
  port.on('message', async (n: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await bareFit());
    port.postMessage(times);
  });
  port.postMessage('ready');
} else {
  await benchmark();
}

async function startWorker(warm = true): Promise<Worker> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { warm } });
  await new Promise((resolve) => worker.once('message', resolve));
  return worker;
}

/** Wall time for `fits` fits on `threads` threads started inside the timed span, as a sweep's pool is. */
async function bareWallFresh(threads: number, fits: number): Promise<number> {
  const t0 = performance.now();
  const workers = await Promise.all(Array.from({ length: threads }, () => startWorker(false)));
  await bareWall(workers, fits);
  const ms = performance.now() - t0;
  await Promise.all(workers.map((w) => w.terminate()));
  return ms;
}

/** Wall time for `fits` fits spread over the given workers (each runs fits/workers one after the other). */
async function bareWall(workers: Worker[], fits: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(workers.map((w) => new Promise((resolve) => {
    w.once('message', resolve);
    w.postMessage(fits / workers.length);
  })));
  return performance.now() - t0;
}

interface SweepTiming {
  wallMs: number;
  /** Trials per second over the second half of the sweep (from the start of its middle trial to its end). */
  steadyRate: number;
}

async function sweepWall(workers: number, round: number, trials = TRIALS): Promise<SweepTiming> {
  const loaded = parseSpecText(
    `name: scaling-${workers}-${round}-${trials}\nmethod: random\nseed: 1\nrun_cap: ${trials}\nsave_models: 0\nparameters:\n  units: {value: 128}\n` +
      `train: {epochs: ${EPOCHS}, batch_size: ${BATCH}, train_size: ${TRAIN_SIZE}, learning_rate: 0.001, optimizer: adam}\n`,
    'scaling.yaml',
  );
  const storage = new SqliteStorage(':memory:');
  const t0 = performance.now();
  const outcome = await runSweep({ loaded, storage, workers });
  const wallMs = performance.now() - t0;
  const rows = await storage.listTrials(outcome.sweep.id);
  await storage.close();
  const complete = rows.filter((t) => t.state === 'complete');
  if (complete.length !== trials) throw new Error(`scaling sweep completed ${complete.length} of ${trials} trials`);
  // Trials are dispatched in number order; the second half starts when trial trials/2 starts.
  const from = Date.parse(complete.find((t) => t.number === trials / 2)!.startedAt!);
  const later = complete.filter((t) => t.number >= trials / 2);
  const end = Math.max(...later.map((t) => Date.parse(t.endedAt!)));
  return { wallMs, steadyRate: later.length / ((end - from) / 1000) };
}

async function benchmark(): Promise<void> {
  const backend = await initBackend();
  loadMnist();
  const pair = [await startWorker(), await startWorker()];
  const bare1: number[] = [];
  const bare2: number[] = [];
  const fresh1: number[] = [];
  const fresh2: number[] = [];
  const sweep1: number[] = [];
  const sweep2: number[] = [];
  const steady1: number[] = [];
  const steady2: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bare1.push(await bareWall([pair[0]!], TRIALS));
    bare2.push(await bareWall(pair, TRIALS));
    fresh1.push(await bareWallFresh(1, TRIALS));
    fresh2.push(await bareWallFresh(2, TRIALS));
    sweep1.push((await sweepWall(1, r)).wallMs);
    sweep2.push((await sweepWall(2, r)).wallMs);
    steady1.push((await sweepWall(1, r, LONG)).steadyRate);
    steady2.push((await sweepWall(2, r, LONG)).steadyRate);
    console.error(`round ${r + 1}/${ROUNDS}: ${TRIALS} bare fits, 1 thread ${(bare1[r]! / 1000).toFixed(1)} s, 2 threads ${(bare2[r]! / 1000).toFixed(1)} s (fresh: ${(fresh1[r]! / 1000).toFixed(1)}, ${(fresh2[r]! / 1000).toFixed(1)} s); tfsweep ${TRIALS} trials, 1 worker ${(sweep1[r]! / 1000).toFixed(1)} s, 2 workers ${(sweep2[r]! / 1000).toFixed(1)} s; second half of ${LONG} trials ${steady1[r]!.toFixed(2)}, ${steady2[r]!.toFixed(2)} trials/s`);
  }
  await Promise.all(pair.map((w) => w.terminate()));
  const bareSpeedup = median(bare1) / median(bare2);
  const freshSpeedup = median(fresh1) / median(fresh2);
  const sweepSpeedup = median(sweep1) / median(sweep2);
  // The second half of a longer sweep: what a long sweep gains once its workers run and have warmed up (V8
  // keeps optimising tfjs' code over the first trials, on helper threads that two workers compete for), as
  // the warmed bare threads; starting the pool drops out.
  const marginalSpeedup = median(steady2) / median(steady1);
  const result = {
    backend,
    trials: TRIALS,
    model: 'MLP 784-128-10',
    batch: BATCH,
    epochs: EPOCHS,
    train_samples: Math.round(TRAIN_SIZE * 0.9),
    seconds: {
      bare_1: median(bare1) / 1000,
      bare_2: median(bare2) / 1000,
      bare_fresh_1: median(fresh1) / 1000,
      bare_fresh_2: median(fresh2) / 1000,
      tfsweep_1: median(sweep1) / 1000,
      tfsweep_2: median(sweep2) / 1000,
    },
    steady_trials_per_second: { tfsweep_1: median(steady1), tfsweep_2: median(steady2), long_sweep_trials: LONG },
    bare_pair_speedup: Number(bareSpeedup.toFixed(3)),
    bare_fresh_pair_speedup: Number(freshSpeedup.toFixed(3)),
    tfsweep_vs_bare_fresh_pair: Number((sweepSpeedup / freshSpeedup).toFixed(3)),
    tfsweep_2_worker_speedup: Number(sweepSpeedup.toFixed(3)),
    tfsweep_vs_bare_pair: Number((sweepSpeedup / bareSpeedup).toFixed(3)),
    tfsweep_marginal_speedup: Number(marginalSpeedup.toFixed(3)),
    tfsweep_marginal_vs_bare_pair: Number((marginalSpeedup / bareSpeedup).toFixed(3)),
  };
  console.log(`\n${TRIALS} trainings of ${result.model} (batch ${BATCH}, ${EPOCHS} epochs of ${result.train_samples} images), ${backend}, median of ${ROUNDS}`);
  console.log('| | 1 at a time | 2 at once | speed-up |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| bare model.fit in worker threads | ${result.seconds.bare_1.toFixed(2)} s | ${result.seconds.bare_2.toFixed(2)} s | ${bareSpeedup.toFixed(2)}× |`);
  console.log(`| bare model.fit in threads started inside the timing | ${result.seconds.bare_fresh_1.toFixed(2)} s | ${result.seconds.bare_fresh_2.toFixed(2)} s | ${freshSpeedup.toFixed(2)}× |`);
  console.log(`| tfsweep sweep, 1 vs 2 workers | ${result.seconds.tfsweep_1.toFixed(2)} s | ${result.seconds.tfsweep_2.toFixed(2)} s | ${sweepSpeedup.toFixed(2)}× |`);
  console.log(`| tfsweep, second half of a ${LONG}-trial sweep, ${TRIALS} trials at its rate | ${((TRIALS / median(steady1))).toFixed(2)} s | ${(TRIALS / median(steady2)).toFixed(2)} s | ${marginalSpeedup.toFixed(2)}× |`);
  console.log(`once its workers run, tfsweep's 2-worker speed-up is ${result.tfsweep_marginal_vs_bare_pair.toFixed(3)} of the warmed bare pair's`);
  console.log(`tfsweep's 2-worker speed-up including the pool's start is ${result.tfsweep_vs_bare_pair.toFixed(3)} of the warmed bare pair's, ${result.tfsweep_vs_bare_fresh_pair.toFixed(3)} of the fresh pair's`);
  console.log(`\nwrote ${writeResult('scaling', result)}`);
}
