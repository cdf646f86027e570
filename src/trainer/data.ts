/**
 * Train/validation splits for one trial. The subset and the split depend on the sweep's seed only, so every
 * trial of a sweep is judged on the same validation images; the test set is never touched here.
 */
import { createRng, deriveSeed, shuffleInPlace, type Rng } from '../space/rng.js';
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
  /** x = (pixel − offset) / scale, with offset and scale taken from the training split only. */
  normalization: { offset: number; scale: number };
}

export type Normalization = 'scale' | 'standardize' | 'none';

function gather(set: ImageSet, indices: Uint32Array): Split {
  const features = set.rows * set.cols;
  const x = new Float32Array(indices.length * features);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i]! * features;
    const dst = i * features;
    for (let j = 0; j < features; j++) x[dst + j] = set.images[src + j]!;
    y[i] = set.labels[indices[i]!]!;
  }
  return { x, y, count: indices.length };
}

/**
 * A seeded order of all samples in which every prefix holds the classes in their overall proportions: the
 * first n are a stratified subset, and so are the first k of those (the validation split).
 */
export function stratifiedOrder(labels: Uint8Array, count: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  shuffleInPlace(order, rng);
  const byClass = new Map<number, number[]>();
  for (const i of order) {
    const label = labels[i]!;
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(i);
  }
  const classes = [...byClass.values()];
  const taken = classes.map(() => 0);
  const out = new Uint32Array(count);
  for (let k = 0; k < count; k++) {
    // Next from the class furthest behind its share.
    let best = -1;
    let bestProgress = Infinity;
    for (let c = 0; c < classes.length; c++) {
      if (taken[c]! >= classes[c]!.length) continue;
      const progress = (taken[c]! + 0.5) / classes[c]!.length;
      if (progress < bestProgress) {
        bestProgress = progress;
        best = c;
      }
    }
    out[k] = classes[best]![taken[best]!++]!;
  }
  return out;
}

/** The offset and scale of a normalization, computed from the training pixels only. */
export function normalizationOf(kind: Normalization, train: Float32Array): { offset: number; scale: number } {
  if (kind === 'none') return { offset: 0, scale: 1 };
  if (kind === 'scale') return { offset: 0, scale: 255 };
  let sum = 0;
  for (let i = 0; i < train.length; i++) sum += train[i]!;
  const mean = sum / train.length;
  let sq = 0;
  for (let i = 0; i < train.length; i++) sq += (train[i]! - mean) ** 2;
  return { offset: mean, scale: Math.sqrt(sq / train.length) || 1 };
}

export function applyNormalization(x: Float32Array, n: { offset: number; scale: number }): void {
  if (n.offset === 0 && n.scale === 1) return;
  const inv = 1 / n.scale;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - n.offset) * inv;
}

export function makeSplits(
  set: ImageSet,
  options: { trainSize: number | null; validationSplit: number; sweepSeed: number; normalization?: Normalization },
): Splits {
  const size = Math.min(options.trainSize ?? set.count, set.count);
  const chosen = stratifiedOrder(set.labels, set.count, createRng(deriveSeed(options.sweepSeed, 'subset'))).subarray(0, size);
  const valCount = Math.max(1, Math.round(size * options.validationSplit));
  if (valCount >= size) throw new Error(`train_size ${size} with validation_split ${options.validationSplit} leaves no training samples`);
  const train = gather(set, chosen.subarray(valCount));
  const validation = gather(set, chosen.subarray(0, valCount));
  const normalization = normalizationOf(options.normalization ?? 'scale', train.x);
  applyNormalization(train.x, normalization);
  applyNormalization(validation.x, normalization);
  return { train, validation, features: set.rows * set.cols, normalization };
}

/**
 * The splits of the last few (dataset, options) a thread asked for. Every trial of a sweep shares its subset
 * and validation split (they depend on the sweep's seed only), so a worker builds them once per sweep rather
 * than once per trial (tens of ms and a float32 copy of the subset each time). Callers must not modify them.
 */
const recent: Array<{ set: ImageSet; key: string; splits: Splits }> = [];
const RECENT_SPLITS = 2;

export function cachedSplits(set: ImageSet, options: Parameters<typeof makeSplits>[1]): Splits {
  const key = JSON.stringify([options.trainSize, options.validationSplit, options.sweepSeed, options.normalization ?? 'scale']);
  const hit = recent.findIndex((r) => r.set === set && r.key === key);
  if (hit >= 0) {
    const [entry] = recent.splice(hit, 1);
    recent.unshift(entry!);
    return entry!.splits;
  }
  const splits = makeSplits(set, options);
  recent.unshift({ set, key, splits });
  recent.length = Math.min(recent.length, RECENT_SPLITS);
  return splits;
}
