/**
 * Training throughput inside tfsweep versus a bare tfjs `model.fit` of the same model on the same backend and
 * data: the cost of the orchestration (worker thread, per-epoch seeded shuffle, reports, SQLite writes).
 *
 * First, on the wasm backend, the stock kernels against tfsweep's kernels for the reference models
 * (bench/kernel-throughput.ts).
 *
 *   npm run bench            (defaults: MLP 784-128-10, batch 32, 20,000 images, 2 epochs, 3 rounds)
 *   BENCH_ROUNDS=5 BENCH_TRAIN_SIZE=60000 npm run bench
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
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
import { compareKernels, kernelTable } from './kernel-throughput.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TRAIN_SIZE = Number(process.env.BENCH_TRAIN_SIZE ?? 20000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 2);
const BATCH = Number(process.env.BENCH_BATCH ?? (process.env.BENCH_MODEL === 'cnn' ? 64 : 32));
const UNITS = 128;
/** mlp: 784-128-10; cnn: the reference CNN, conv16(same)-pool-conv32(same)-pool-dropout-dense(10). */
const MODEL = (process.env.BENCH_MODEL ?? 'mlp') as 'mlp' | 'cnn';

async function bareFit(): Promise<number> {
  const mnist = loadMnist();
  const splits = makeSplits(mnist.train, { trainSize: TRAIN_SIZE, validationSplit: 0.1, sweepSeed: 1 });
  const xs = tf.tensor4d(splits.train.x, [splits.train.count, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(splits.train.y, 'int32'), 10);
  const xv = tf.tensor4d(splits.validation.x, [splits.validation.count, 28, 28, 1]);
  const yv = tf.oneHot(tf.tensor1d(splits.validation.y, 'int32'), 10);
  const model = tf.sequential({
    layers:
      MODEL === 'cnn'
        ? [
            tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
            tf.layers.maxPooling2d({ poolSize: 2 }),
            tf.layers.dropout({ rate: 0.25 }),
            tf.layers.flatten(),
            tf.layers.dense({ units: 10, activation: 'softmax' }),
          ]
        : [
            tf.layers.flatten({ inputShape: [28, 28, 1] }),
            tf.layers.dense({ units: UNITS, activation: 'relu' }),
            tf.layers.dense({ units: 10, activation: 'softmax' }),
          ],
  });
  // tfsweep's Adam, as a trial uses: the bare fit differs from a trial only in what tfsweep adds around it.
  const optimizer = new FusedAdam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const t0 = performance.now();
  await model.fit(xs, ys, { epochs: EPOCHS, batchSize: BATCH, shuffle: true, validationData: [xv, yv], verbose: 0 });
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  optimizer.dispose();
  tf.dispose([xs, ys, xv, yv]);
  return (splits.train.count * EPOCHS) / seconds;
}

async function tfsweepTrial(round: number): Promise<{ epochRate: number; trialRate: number; backend: string }> {
  const loaded = parseSpecText(
    MODEL === 'cnn'
      ? `name: bench-${round}\nmethod: grid\nseed: 1\nsave_models: 0\nparameters:\n  filters: {value: 16}\ntrain: {model: cnn, conv_blocks: 2, layers: 0, conv_dropout: 0.25, epochs: ${EPOCHS}, batch_size: ${BATCH}, train_size: ${TRAIN_SIZE}, learning_rate: 0.001, optimizer: adam}\n`
      : `name: bench-${round}\nmethod: grid\nseed: 1\nsave_models: 0\nparameters:\n  units: {value: ${UNITS}}\ntrain: {epochs: ${EPOCHS}, batch_size: ${BATCH}, train_size: ${TRAIN_SIZE}, learning_rate: 0.001, optimizer: adam}\n`,
    'bench.yaml',
  );
  const storage = new SqliteStorage(':memory:');
  const outcome = await runSweep({ loaded, storage, workers: 1 });
  const [trial] = await storage.listTrials(outcome.sweep.id, { withEpochs: true });
  await storage.close();
  if (!trial || trial.state !== 'complete') throw new Error(`bench trial did not complete: ${trial?.error}`);
  const samples = trial.epochs!.reduce((n, e) => n + (e.samples ?? 0), 0);
  const fitMs = trial.epochs!.reduce((n, e) => n + (e.durationMs ?? 0), 0);
  const trialMs = Date.parse(trial.endedAt!) - Date.parse(trial.startedAt!);
  return { epochRate: samples / (fitMs / 1000), trialRate: samples / (trialMs / 1000), backend: trial.backend ?? '?' };
}

/** The same bare fit in a fresh worker thread, the kind of thread tfsweep's trials run in. */
function bareFitInWorker(): Promise<number> {
  const worker = new Worker(new URL(import.meta.url));
  return new Promise<number>((resolve, reject) => {
    worker.once('message', (rate: number) => resolve(rate));
    worker.once('error', reject);
  }).finally(() => void worker.terminate());
}

if (!isMainThread) {
  await initBackend();
  parentPort!.postMessage(await bareFit());
} else {
  await benchmark();
}

async function benchmark(): Promise<void> {
  const backend = await initBackend();
  // Stock wasm kernels against tfsweep's, side by side (BENCH_KERNELS=0 skips this part).
  if (backend === 'wasm' && process.env.BENCH_KERNELS !== '0') {
    const kernels = await compareKernels(Math.max(3, ROUNDS), (line) => console.error(line));
    console.log(kernelTable(kernels, Math.max(3, ROUNDS)));
    console.log(`wrote ${writeResult('kernel-throughput', kernels)}\n`);
  }
  const bare: number[] = [];
  const bareWorker: number[] = [];
  const inside: number[] = [];
  const whole: number[] = [];
  let trialBackend = '';
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await bareFit());
    bareWorker.push(await bareFitInWorker());
    const r = await tfsweepTrial(round);
    inside.push(r.epochRate);
    whole.push(r.trialRate);
    trialBackend = r.backend;
    console.error(`round ${round + 1}/${ROUNDS}: bare ${bare[round]!.toFixed(0)}/s, bare in a worker ${bareWorker[round]!.toFixed(0)}/s, tfsweep epochs ${r.epochRate.toFixed(0)}/s, whole trial ${r.trialRate.toFixed(0)}/s`);
  }

  const result = {
    model: MODEL === 'cnn' ? 'CNN conv16-pool-conv32-pool-dropout-dense' : `MLP 784-${UNITS}-10`,
    batch_size: BATCH,
    train_samples: Math.round(TRAIN_SIZE * 0.9),
    epochs: EPOCHS,
    rounds: ROUNDS,
    backend: { bare: backend, tfsweep: trialBackend },
    samples_per_s: {
      bare_model_fit: Math.round(median(bare)),
      bare_model_fit_worker_thread: Math.round(median(bareWorker)),
      tfsweep_epochs: Math.round(median(inside)),
      tfsweep_whole_trial: Math.round(median(whole)),
    },
    ratio_epochs: Number((median(inside) / median(bare)).toFixed(3)),
    ratio_epochs_vs_worker_thread: Number((median(inside) / median(bareWorker)).toFixed(3)),
    ratio_whole_trial: Number((median(whole) / median(bare)).toFixed(3)),
  };

  console.log(`\nTraining throughput, ${result.model}, batch ${BATCH}, ${result.train_samples} samples × ${EPOCHS} epochs, median of ${ROUNDS}`);
  console.log('| measure | backend | samples/s | vs bare |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| bare tfjs model.fit, main thread | ${backend} | ${result.samples_per_s.bare_model_fit} | 1.000 |`);
  console.log(`| bare tfjs model.fit, worker thread | ${backend} | ${result.samples_per_s.bare_model_fit_worker_thread} | ${(median(bareWorker) / median(bare)).toFixed(3)} |`);
  console.log(`| tfsweep trial, epochs (fit + validation + shuffle) | ${trialBackend} | ${result.samples_per_s.tfsweep_epochs} | ${result.ratio_epochs.toFixed(3)} |`);
  console.log(`| tfsweep trial, start to end (data, model, fit, writes) | ${trialBackend} | ${result.samples_per_s.tfsweep_whole_trial} | ${result.ratio_whole_trial.toFixed(3)} |`);

  const out = writeResult(`throughput${MODEL === 'cnn' ? '-cnn' : ''}`, result);
  console.log(`tfsweep epochs vs bare fit in a worker thread: ${result.ratio_epochs_vs_worker_thread.toFixed(3)}`);
  console.log(`\nwrote ${out}`);

}
