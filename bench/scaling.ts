/**
 * Two trainings on two cores: how much faster two run at once than one, for bare tfjs `model.fit` in two
 * worker threads against tfsweep's 2-worker pool, side by side in one run. Training here is memory-bound, so
 * neither reaches 2×; tfsweep's speed-up should be at least 0.95× the bare pair's.
 *
 *   npm run bench:scaling          (BENCH_ROUNDS=3; 8 trials of MLP 784-128-10, batch 32, 2 epochs of 5,400 images)
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { median } from 'simple-statistics';
import { writeResult } from './common.js';
import { runSweep } from '../src/orchestrator/run-sweep.js';
import { parseSpecText } from '../src/spec/load.js';
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

/** One bare model.fit of the reference MLP, as a tfsweep trial would train it (same data, same kernels). */
async function bareFit(): Promise<number> {
  const splits = makeSplits(loadMnist().train, { trainSize: TRAIN_SIZE, validationSplit: 0.1, sweepSeed: 1 });
  const xs = tf.tensor4d(splits.train.x, [splits.train.count, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(splits.train.y, 'int32'), 10);
  const xv = tf.tensor4d(splits.validation.x, [splits.validation.count, 28, 28, 1]);
  const yv = tf.oneHot(tf.tensor1d(splits.validation.y, 'int32'), 10);
  const model = referenceModel('mlp');
  const optimizer = tf.train.adam(1e-3);
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

async function sweepWall(workers: number, round: number): Promise<number> {
  const loaded = parseSpecText(
    `name: scaling-${workers}-${round}\nmethod: random\nseed: 1\nrun_cap: ${TRIALS}\nsave_models: 0\nparameters:\n  units: {value: 128}\n` +
      `train: {epochs: ${EPOCHS}, batch_size: ${BATCH}, train_size: ${TRAIN_SIZE}, learning_rate: 0.001, optimizer: adam}\n`,
    'scaling.yaml',
  );
  const storage = new SqliteStorage(':memory:');
  const t0 = performance.now();
  const outcome = await runSweep({ loaded, storage, workers });
  const ms = performance.now() - t0;
  const complete = storage.listTrials(outcome.sweep.id).filter((t) => t.state === 'complete').length;
  storage.close();
  if (complete !== TRIALS) throw new Error(`scaling sweep completed ${complete} of ${TRIALS} trials`);
  return ms;
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
  for (let r = 0; r < ROUNDS; r++) {
    bare1.push(await bareWall([pair[0]!], TRIALS));
    bare2.push(await bareWall(pair, TRIALS));
    fresh1.push(await bareWallFresh(1, TRIALS));
    fresh2.push(await bareWallFresh(2, TRIALS));
    sweep1.push(await sweepWall(1, r));
    sweep2.push(await sweepWall(2, r));
    console.error(`round ${r + 1}/${ROUNDS}: ${TRIALS} bare fits, 1 thread ${(bare1[r]! / 1000).toFixed(1)} s, 2 threads ${(bare2[r]! / 1000).toFixed(1)} s (fresh: ${(fresh1[r]! / 1000).toFixed(1)}, ${(fresh2[r]! / 1000).toFixed(1)} s); tfsweep ${TRIALS} trials, 1 worker ${(sweep1[r]! / 1000).toFixed(1)} s, 2 workers ${(sweep2[r]! / 1000).toFixed(1)} s`);
  }
  await Promise.all(pair.map((w) => w.terminate()));
  const bareSpeedup = median(bare1) / median(bare2);
  const freshSpeedup = median(fresh1) / median(fresh2);
  const sweepSpeedup = median(sweep1) / median(sweep2);
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
    bare_pair_speedup: Number(bareSpeedup.toFixed(3)),
    bare_fresh_pair_speedup: Number(freshSpeedup.toFixed(3)),
    tfsweep_vs_bare_fresh_pair: Number((sweepSpeedup / freshSpeedup).toFixed(3)),
    tfsweep_2_worker_speedup: Number(sweepSpeedup.toFixed(3)),
    tfsweep_vs_bare_pair: Number((sweepSpeedup / bareSpeedup).toFixed(3)),
  };
  console.log(`\n${TRIALS} trainings of ${result.model} (batch ${BATCH}, ${EPOCHS} epochs of ${result.train_samples} images), ${backend}, median of ${ROUNDS}`);
  console.log('| | 1 at a time | 2 at once | speed-up |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| bare model.fit in worker threads | ${result.seconds.bare_1.toFixed(2)} s | ${result.seconds.bare_2.toFixed(2)} s | ${bareSpeedup.toFixed(2)}× |`);
  console.log(`| bare model.fit in threads started inside the timing | ${result.seconds.bare_fresh_1.toFixed(2)} s | ${result.seconds.bare_fresh_2.toFixed(2)} s | ${freshSpeedup.toFixed(2)}× |`);
  console.log(`| tfsweep sweep, 1 vs 2 workers | ${result.seconds.tfsweep_1.toFixed(2)} s | ${result.seconds.tfsweep_2.toFixed(2)} s | ${sweepSpeedup.toFixed(2)}× |`);
  console.log(`tfsweep's 2-worker speed-up is ${result.tfsweep_vs_bare_pair.toFixed(3)} of the warmed bare pair's, ${result.tfsweep_vs_bare_fresh_pair.toFixed(3)} of the fresh pair's`);
  console.log(`\nwrote ${writeResult('scaling', result)}`);
}
