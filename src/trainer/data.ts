/**
 * Train/validation splits for one trial. The subset and the split depend on the sweep's seed only, so every
 * trial of a sweep is judged on the same validation images; the test set is never touched here.
 */
import { createRng, deriveSeed, shuffleInPlace } from '../space/rng.js';
import type { ImageSet } from './mnist.js';

export interface Split {
  x: Float32Array;
  /** One class index per sample. */
  y: Int32Array;
  count: number;
}

export interface Splits {
  train: Split;
  validation: Split;
  features: number;
}

function gather(set: ImageSet, indices: Uint32Array): Split {
  const features = set.rows * set.cols;
  const x = new Float32Array(indices.length * features);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * features;
    const dst = i * features;
    // Scale to [0, 1] while copying out of the shared bytes.
    for (let j = 0; j < features; j++) x[dst + j] = set.images[src + j]! / 255;
    y[i] = set.labels[indices[i]!]!;
  }
  return { x, y, count: indices.length };
}

export function makeSplits(set: ImageSet, options: { trainSize: number | null; validationSplit: number; sweepSeed: number }): Splits {
  const size = Math.min(options.trainSize ?? set.count, set.count);
  const order = new Uint32Array(set.count);
  for (let i = 0; i < set.count; i++) order[i] = i;
  shuffleInPlace(order, createRng(deriveSeed(options.sweepSeed, 'subset')));
  const chosen = order.subarray(0, size);
  const valCount = Math.max(1, Math.round(size * options.validationSplit));
  if (valCount >= size) throw new Error(`train_size ${size} with validation_split ${options.validationSplit} leaves no training samples`);
  return {
    train: gather(set, chosen.subarray(valCount)),
    validation: gather(set, chosen.subarray(0, valCount)),
    features: set.rows * set.cols,
  };
}
