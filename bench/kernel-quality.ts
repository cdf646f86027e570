/**
 * Model quality with tfsweep's wasm kernels against the stock ones: the same trials (same seeds, same data)
 * trained twice in one process, once on each set of kernels, and their validation accuracies compared. The
 * kernels sum in a different order, so results may differ in the last bits, not in quality: every pair must
 * be within 0.3 points.
 *
 * Half of BENCH_TRAIN_SIZE images train, half validate: with 3,000 validation images one image is 0.033
 * points, so the comparison can resolve 0.3 (with the default 10% split of a small set, one image is more).
 *
 *   npm run bench:kernel-quality      (BENCH_SEEDS=5 seeds of each setup; BENCH_TRAIN_SIZE=6000)
 */
import * as tf from '@tensorflow/tfjs';
import { writeResult } from './common.js';
import { initBackend } from '../src/trainer/backend.js';
import { loadDataset } from '../src/trainer/datasets.js';
import { defaultTrainConfig, type TrainConfig } from '../src/trainer/knobs.js';
import { trainTrial } from '../src/trainer/train.js';
import { registerWasmKernels } from '../src/trainer/wasm-kernels.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 5);
const TRAIN_SIZE = Number(process.env.BENCH_TRAIN_SIZE ?? 6000);
const LIMIT = 0.003;

async function valAccuracy(config: TrainConfig, seed: number, fast: boolean): Promise<number> {
  registerWasmKernels({ fast });
  const out = await trainTrial({ config, data: loadDataset('mnist'), sweepSeed: 1, trialSeed: seed });
  return out.metrics.val_accuracy!;
}

const backend = await initBackend();
if (backend !== 'wasm') throw new Error(`bench:kernel-quality compares wasm kernels; the backend here is ${backend}`);
const base = { ...defaultTrainConfig(), epochs: 2, train_size: TRAIN_SIZE, validation_split: 0.5 };
const setups: Array<[string, TrainConfig]> = [
  ['MLP 128 units, batch 32, Adam', { ...base, model: 'mlp', units: 128, batch_size: 32 }],
  ['CNN 2 blocks of 16 filters, batch 64, Adam, dropout 0.25', { ...base, model: 'cnn', conv_blocks: 2, filters: 16, batch_size: 64, conv_dropout: 0.25 }],
  ['MLP 2×64, batch 16, RMSprop, L2 1e-4', { ...base, model: 'mlp', layers: 2, units: 64, batch_size: 16, optimizer: 'rmsprop', l2: 1e-4 }],
];
const rows: Array<{ setup: string; seed: number; stock: number; tfsweep: number; difference: number }> = [];
for (const [label, config] of setups) {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const stock = await valAccuracy(config, seed, false);
    const fast = await valAccuracy(config, seed, true);
    rows.push({ setup: label, seed, stock, tfsweep: fast, difference: fast - stock });
    console.error(`${label}, seed ${seed}: val_accuracy ${stock.toFixed(4)} stock, ${fast.toFixed(4)} tfsweep`);
  }
}
registerWasmKernels({ fast: true });
const worst = Math.max(...rows.map((r) => Math.abs(r.difference)));
// Compared in images, not in floating-point fractions: 0.3 points of 3,000 validation images is 9 images.
const validation = TRAIN_SIZE / 2;
const worstImages = Math.round(worst * validation);
const limitImages = Math.floor(LIMIT * validation + 1e-9);
console.log(`\nvalidation accuracy, same seeds, stock wasm kernels vs tfsweep's (${TRAIN_SIZE / 2} training and ${TRAIN_SIZE / 2} validation images, 2 epochs)`);
console.log('| setup | seed | stock | tfsweep | difference |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.setup} | ${r.seed} | ${r.stock.toFixed(4)} | ${r.tfsweep.toFixed(4)} | ${(r.difference * 100).toFixed(2)} points |`);
const identical = rows.filter((r) => r.difference === 0).length;
const mean = rows.reduce((a, r) => a + r.difference, 0) / rows.length;
console.log(`${identical} of ${rows.length} identical; largest difference ${(worst * 100).toFixed(2)} points = ${worstImages} images (limit ${LIMIT * 100} points = ${limitImages} images), mean ${(mean * 100).toFixed(3)} points`);
console.log(`\nwrote ${writeResult('kernel-quality', { backend, train_size: TRAIN_SIZE, seeds: SEEDS, rows, largest_difference: worst, mean_difference: mean, tensors: tf.memory().numTensors })}`);
if (worstImages > limitImages) process.exitCode = 1;
