/**
 * Dropout that draws a new mask at every training step from a seeded stream.
 *
 * tfjs' Dropout layer given a seed reuses it at every call, so the same units are dropped at every step: a
 * fixed, thinner network, not dropout. Unseeded, it draws from Math.random, and a trial cannot be repeated.
 * `seededDropout` is tfjs' Dropout (same class, config and serialisation: a saved model loads anywhere as a
 * plain Dropout) whose training-time call draws its mask from the layer's seed and how many times it has been
 * called: a different mask at every step, the same ones in every run of the trial, on every backend and
 * kernel path (the native addon computes the same stream, `dropout_mask` in native/addon/kernels.c).
 */
import * as tf from '@tensorflow/tfjs';
import { mix32 } from '../space/rng.js';
import { DROPOUT_MASK, type DropoutMaskAttrs } from './native/dropout.js';
import { nativeKernelsOn } from './wasm/compose.js';

/**
 * The mask of `shape` for call `counter`: element i is `scale` where the top 24 bits of mix32(base + i) fall
 * below `threshold`, else 0, with base = mix32(seed ^ mix32(counter + 0x9e3779b9)).
 */
export function dropoutMask(a: DropoutMaskAttrs): tf.Tensor {
  if (nativeKernelsOn()) return tf.engine().runKernel(DROPOUT_MASK, {}, a as unknown as tf.NamedAttrMap) as tf.Tensor;
  const n = tf.util.sizeFromShape(a.shape);
  const values = new Float32Array(n);
  const base = mix32((a.seed ^ mix32((a.counter + 0x9e3779b9) >>> 0)) >>> 0);
  const scale = Math.fround(a.scale);
  for (let i = 0; i < n; i++) if (mix32((base + i) >>> 0) >>> 8 < a.threshold) values[i] = scale;
  return tf.tensor(values, a.shape, 'float32');
}

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** The property of a seeded dropout layer holding how many masks it has drawn. */
export const DROPOUT_STEPS = 'tfsweepDropoutSteps';

/** tfjs' Dropout layer of `rate`, whose masks come from `seed` and change at every training step. */
export function seededDropout(rate: number, seed: number): tf.layers.Layer {
  const layer = tf.layers.dropout({ rate, seed });
  if (!(rate > 0 && rate < 1)) return layer;
  const keep = 1 - rate;
  const threshold = Math.floor(keep * 2 ** 24);
  let calls = 0;
  const call: Call = (inputs, kwargs) =>
    tf.tidy(() => {
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      // Outside training (validation, prediction, a saved model) dropout is the identity, as tfjs' is.
      if (kwargs['training'] !== true) return input;
      const mask = dropoutMask({ shape: input.shape, seed: seed >>> 0, counter: calls++ >>> 0, threshold, scale: 1 / keep });
      return tf.mul(input, mask);
    });
  (layer as unknown as { call: Call }).call = call;
  // How many masks it has drawn: a checkpoint keeps it, so that a resumed trial draws the masks it would have.
  Object.defineProperty(layer, DROPOUT_STEPS, { get: () => calls, set: (v: number) => (calls = v), enumerable: false });
  return layer;
}
