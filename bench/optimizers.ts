/**
 * The fused optimizers against tfjs' own on the native path: a bare `model.fit` of the reference MLP (batch
 * 32, 8,000 MNIST images, one epoch after a warm-up one) with tfjs' SGD, momentum, RMSprop and Adam and with
 * tfsweep's fused ones (one native call per weight tensor), rounds interleaved, median of BENCH_ROUNDS (≥ 3).
 *
 *   npm run bench:optimizers
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { median } from 'simple-statistics';
import { writeResult } from './common.js';
import { registerWasmKernels } from '../src/trainer/wasm-kernels.js';
import { FusedAdam } from '../src/trainer/wasm/adam.js';
import { FusedMomentum, FusedRMSProp, FusedSGD } from '../src/trainer/native/optimizers.js';
import { loadMnist } from '../src/trainer/mnist.js';
import { referenceModel } from './models.js';

const ROUNDS = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 5));
const SAMPLES = 8000;
const BATCH = 32;

const CASES: Array<[string, () => tf.Optimizer, () => tf.Optimizer]> = [
  ['SGD', () => tf.train.sgd(0.01), () => new FusedSGD(0.01)],
  ['momentum 0.9', () => tf.train.momentum(0.01, 0.9), () => new FusedMomentum(0.01, 0.9)],
  ['RMSprop', () => tf.train.rmsprop(0.001), () => new FusedRMSProp(0.001)],
  ['Adam', () => tf.train.adam(0.001), () => new FusedAdam(0.001)],
];

await tf.setBackend('wasm');
if (registerWasmKernels({ fast: true }) !== 'native') {
  console.error('the native kernels cannot run here: nothing to compare');
  process.exit(0);
}
const mnist = loadMnist();
const x = tf.tensor4d(Float32Array.from(mnist.train.images.subarray(0, SAMPLES * 784), (v) => v / 255), [SAMPLES, 28, 28, 1]);
const y = tf.oneHot(tf.tensor1d(Int32Array.from(mnist.train.labels.subarray(0, SAMPLES)), 'int32'), 10);

async function fitRate(optimizer: tf.Optimizer): Promise<number> {
  const model = referenceModel('mlp');
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const fit = () => model.fit(x, y, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0, yieldEvery: 'never' });
  await fit();
  const t0 = performance.now();
  await fit();
  const rate = SAMPLES / ((performance.now() - t0) / 1000);
  model.dispose();
  optimizer.dispose();
  return rate;
}

const rows: Array<{ optimizer: string; tfjs: number; fused: number; ratio: number }> = [];
for (const [name, tfjsOptimizer, fusedOptimizer] of CASES) {
  const plain: number[] = [];
  const fused: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    plain.push(await fitRate(tfjsOptimizer()));
    fused.push(await fitRate(fusedOptimizer()));
    console.error(`${name}, round ${r + 1}/${ROUNDS}: tfjs ${plain[r]!.toFixed(0)}/s, fused ${fused[r]!.toFixed(0)}/s`);
  }
  rows.push({ optimizer: name, tfjs: median(plain), fused: median(fused), ratio: median(fused.map((f, i) => f / plain[i]!)) });
}
console.log(`\nMLP 784-128-10, batch ${BATCH}, bare model.fit on the native kernels, tfjs' optimizer vs tfsweep's fused one, median of ${ROUNDS} interleaved rounds`);
console.log('| optimizer | tfjs samples/s | fused samples/s | fused / tfjs |');
console.log('| --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.optimizer} | ${r.tfjs.toFixed(0)} | ${r.fused.toFixed(0)} | ${r.ratio.toFixed(2)}× |`);
console.log(`\nwrote ${writeResult('optimizers', rows)}`);
tf.dispose([x, y]);
