/**
 * Where one training step's time goes: per-kernel share of `tf.profile` over training steps of the
 * reference MLP (784-128-10, batch 32), the 3×512 MLP and the reference CNN (batch 64), on the backend in use,
 * with tfsweep's kernels (and, on wasm, the stock ones beside them, in the same run). The next bottleneck is
 * the top row.
 *
 *   npm run bench:kernels                  (BENCH_STEPS=20 steps after 3 warm-up steps)
 */
import * as tf from '@tensorflow/tfjs';
import { writeResult } from './common.js';
import { initBackend } from '../src/trainer/backend.js';
import { registerWasmKernels } from '../src/trainer/wasm-kernels.js';
import { FusedAdam } from '../src/trainer/wasm/adam.js';
import { loadMnist } from '../src/trainer/mnist.js';
import { referenceModel, type ReferenceModel } from './models.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const WARMUP = 3;

interface KernelRow {
  kernel: string;
  calls_per_step: number;
  ms_per_step: number;
  share: number;
}

async function profileSteps(kind: ReferenceModel, batch: number): Promise<{ wallMsPerStep: number; kernelMsPerStep: number; rows: KernelRow[] }> {
  const mnist = loadMnist();
  const x = tf.tensor4d(Float32Array.from(mnist.train.images.subarray(0, batch * 784), (v) => v / 255), [batch, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(mnist.train.labels.subarray(0, batch)), 'int32'), 10);
  const model = referenceModel(kind);
  // tfsweep's Adam: one fused kernel per weight tensor with tfsweep's kernels, tfjs' Adam with the stock ones.
  const optimizer = new FusedAdam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  for (let i = 0; i < WARMUP; i++) await model.trainOnBatch(x, y);
  const totals = new Map<string, { calls: number; ms: number }>();
  const started = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
      return [];
    });
    for (const k of info.kernels) {
      const t = totals.get(k.name) ?? { calls: 0, ms: 0 };
      t.calls++;
      t.ms += Number(await k.kernelTimeMs);
      totals.set(k.name, t);
    }
  }
  const wallMsPerStep = (performance.now() - started) / STEPS;
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  const kernelMs = [...totals.values()].reduce((a, t) => a + t.ms, 0);
  const rows = [...totals.entries()]
    .map(([kernel, t]) => ({ kernel, calls_per_step: t.calls / STEPS, ms_per_step: t.ms / STEPS, share: t.ms / kernelMs }))
    .sort((a, b) => b.ms_per_step - a.ms_per_step);
  return { wallMsPerStep, kernelMsPerStep: kernelMs / STEPS, rows };
}

function print(title: string, r: Awaited<ReturnType<typeof profileSteps>>): void {
  console.log(`\n${title}: ${r.kernelMsPerStep.toFixed(2)} ms of kernels per step (profiled wall ${r.wallMsPerStep.toFixed(2)} ms), ${r.rows.reduce((a, k) => a + k.calls_per_step, 0).toFixed(0)} kernel calls`);
  console.log('| kernel | calls/step | ms/step | share |');
  console.log('| --- | --- | --- | --- |');
  for (const k of r.rows.slice(0, 12)) console.log(`| ${k.kernel} | ${k.calls_per_step.toFixed(0)} | ${k.ms_per_step.toFixed(3)} | ${(k.share * 100).toFixed(1)}% |`);
  const rest = r.rows.slice(12);
  if (rest.length) console.log(`| ${rest.length} others | ${rest.reduce((a, k) => a + k.calls_per_step, 0).toFixed(0)} | ${rest.reduce((a, k) => a + k.ms_per_step, 0).toFixed(3)} | ${(rest.reduce((a, k) => a + k.share, 0) * 100).toFixed(1)}% |`);
}

const backend = await initBackend();
const result: Record<string, unknown> = { backend, steps: STEPS };
const variants = backend === 'wasm' ? (['stock', 'tfsweep'] as const) : (['tfsweep'] as const);
for (const [kind, batch] of [['mlp', 32], ['mlp-3x512', 32], ['cnn', 64]] as const) {
  for (const variant of variants) {
    if (backend === 'wasm') registerWasmKernels({ fast: variant === 'tfsweep' });
    const r = await profileSteps(kind, batch);
    print(`${kind}, batch ${batch}, ${backend}, ${variant} kernels`, r);
    result[`${kind}-${batch}-${variant}`] = r;
  }
}
console.log(`\nwrote ${writeResult('kernels', result)}`);
