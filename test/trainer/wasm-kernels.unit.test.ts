import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/trainer/wasm-kernels.js';
import { createRng } from '../../src/space/rng.js';

/** d/dfilter of sum(conv2d(x, filter) · dy): the filter gradient for that output gradient. */
async function filterGradient(backend: string, x: number[], xShape: number[], f: number[], fShape: number[], dy: number[], stride: number, pad: 'same' | 'valid') {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape as [number, number, number, number]);
    const grad = tf.grad((filter: tf.Tensor) => {
      const y = tf.conv2d(xt, filter as tf.Tensor4D, stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(dy, y.shape)));
    });
    const g = grad(tf.tensor4d(f, fShape as [number, number, number, number]));
    return { shape: g.shape, values: Array.from(g.dataSync()) };
  });
}

describe('Conv2DBackpropFilter on wasm', () => {
  it('matches the cpu backend on random inputs for strides 1 and 2 and both paddings', async () => {
    await tf.setBackend('wasm');
    registerWasmKernels();
    const rng = createRng(7);
    const rand = (n: number) => Array.from({ length: n }, () => rng() * 2 - 1);
    for (const [h, w, cin, cout, k] of [
      [9, 9, 3, 4, 3],
      [8, 7, 2, 5, 5],
      [6, 6, 1, 2, 2],
    ] as const) {
      for (const stride of [1, 2]) {
        for (const pad of ['same', 'valid'] as const) {
          const n = 3;
          const x = rand(n * h * w * cin);
          const f = rand(k * k * cin * cout);
          await tf.setBackend('cpu');
          const outShape = tf.tidy(() => tf.conv2d(tf.zeros([n, h, w, cin]) as tf.Tensor4D, tf.zeros([k, k, cin, cout]) as tf.Tensor4D, stride, pad).shape);
          const dy = rand(outShape.reduce((a, b) => a * b, 1));
          const cpu = await filterGradient('cpu', x, [n, h, w, cin], f, [k, k, cin, cout], dy, stride, pad);
          const wasm = await filterGradient('wasm', x, [n, h, w, cin], f, [k, k, cin, cout], dy, stride, pad);
          assert.deepEqual(wasm.shape, cpu.shape);
          const maxDiff = Math.max(...cpu.values.map((v, i) => Math.abs(v - wasm.values[i]!)));
          assert.ok(maxDiff < 1e-3, `${h}×${w}×${cin}→${cout} k${k} stride ${stride} ${pad}: max difference ${maxDiff}`);
        }
      }
    }
  });

  it('frees every intermediate: the tensor count is unchanged after a gradient', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3]);
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same')))(tf.randomNormal([3, 3, 3, 4]));
      g.dataSync();
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.memory().numBytes, bytesBefore);
  });
});
