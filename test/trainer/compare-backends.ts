/** Runs one computation on the cpu backend (the reference) and on wasm with whatever kernels are registered. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../../src/space/rng.js';

/** Uniform values in [-1, 1) for a shape, from a seeded stream. */
export function seededRand(seed: number): (shape: number[]) => Float32Array {
  const rng = createRng(seed);
  return (shape) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1);
}

/** Runs `fn` on both backends with the same inputs; returns the largest error relative to the output's scale. */
export async function compare(fn: (...t: tf.Tensor[]) => tf.Tensor, inputs: Array<[Float32Array, number[]]>): Promise<{ err: number; shape: number[] }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const out = fn(...inputs.map(([v, s]) => tf.tensor(v, s)));
      return { shape: out.shape, values: out.dataSync().slice() };
    });
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  assert.deepEqual(wasm.shape, cpu.shape);
  let scale = 1e-6;
  for (const v of cpu.values) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < cpu.values.length; i++) err = Math.max(err, Math.abs(cpu.values[i]! - wasm.values[i]!) / scale);
  return { err, shape: cpu.shape };
}
