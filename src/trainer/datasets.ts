/**
 * Datasets the built-in trainer reads: `mnist` (embedded), `idx:DIR` (IDX image/label files such as a
 * downloaded Fashion-MNIST, gzipped or not) and `csv:FILE` (a label column and one column per pixel). Each is
 * read once, in the main thread, into shared memory; every problem is a DatasetError naming the file.
 */
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatasetError, findIdx, readDataFile, readIdx, shared } from './idx.js';
import { loadMnist, type Dataset, type ImageSet } from './mnist.js';
import type { SweepSpec } from '../sweep-file/types.js';
import { extremesOf } from '../space/distributions.js';

export { DatasetError } from './idx.js';

function classesOf(...sets: ImageSet[]): number {
  let max = 0;
  for (const s of sets) for (const l of s.labels) max = Math.max(max, l);
  return max + 1;
}

/** A CSV with a `label` column (or the first column) and rows × rows pixel columns of 0–255. */
export function readCsv(file: string): ImageSet {
  let records: string[][];
  const bytes = readDataFile(file);
  try {
    records = parse(bytes, { skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new DatasetError(file, `not readable as CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new DatasetError(file, 'no rows');
  const header = records[0]!.some((cell) => cell !== '' && Number.isNaN(Number(cell))) ? records.shift()! : null;
  if (records.length === 0) throw new DatasetError(file, 'no data rows (only a header)');
  const labelColumn = header ? Math.max(0, header.findIndex((h) => h.toLowerCase() === 'label')) : 0;
  const width = records[0]?.length ?? 0;
  const pixels = width - 1;
  const side = Math.round(Math.sqrt(pixels));
  if (pixels < 1 || side * side !== pixels) throw new DatasetError(file, `expected a label column and a square number of pixel columns, found ${pixels} pixel columns`);
  const images = new Uint8Array(records.length * pixels);
  const labels = new Uint8Array(records.length);
  records.forEach((row, r) => {
    const line = r + (header ? 2 : 1);
    if (row.length !== width) throw new DatasetError(file, `line ${line}: ${row.length} cells, expected ${width}`);
    let p = 0;
    row.forEach((cell, c) => {
      const v = Number(cell);
      if (cell === '' || !Number.isFinite(v)) throw new DatasetError(file, `line ${line}, column ${c + 1}: "${cell}" is not a number`);
      if (c === labelColumn) {
        if (!Number.isInteger(v) || v < 0 || v > 255) throw new DatasetError(file, `line ${line}: label ${cell} is not a class number 0–255`);
        labels[r] = v;
      } else {
        if (v < 0 || v > 255) throw new DatasetError(file, `line ${line}, column ${c + 1}: pixel ${cell} is outside 0–255`);
        images[r * pixels + p++] = Math.round(v);
      }
    });
  });
  return { images: shared(images), labels: shared(labels), count: records.length, rows: side, cols: side };
}

const loaded = new Map<string, Dataset>();

/** `mnist`, `idx:DIR` or `csv:FILE` (paths already absolute); read once per process. */
export function loadDataset(spec: string): Dataset {
  let dataset = loaded.get(spec);
  if (!dataset) {
    dataset = readDataset(spec);
    loaded.set(spec, dataset);
  }
  return dataset;
}

function readDataset(spec: string): Dataset {
  if (spec === 'mnist') return loadMnist();
  if (spec.startsWith('idx:')) {
    const dir = spec.slice(4);
    const train = readIdx(findIdx(dir, 'train-images-idx3-ubyte'), findIdx(dir, 'train-labels-idx1-ubyte'));
    if (!path.isAbsolute(dir)) throw new DatasetError(dir, 'expected an absolute folder');
    const test = readIdx(findIdx(dir, 't10k-images-idx3-ubyte'), findIdx(dir, 't10k-labels-idx1-ubyte'));
    if (test.rows !== train.rows || test.cols !== train.cols) throw new DatasetError(dir, `test images are ${test.rows}×${test.cols}, training images ${train.rows}×${train.cols}`);
    return { name: spec, train, test, classes: classesOf(train, test) };
  }
  if (spec.startsWith('csv:')) {
    const train = readCsv(spec.slice(4));
    return { name: spec, train, test: null, classes: classesOf(train) };
  }
  throw new DatasetError(spec, 'expected mnist, idx:DIR or csv:FILE');
}

/** The values a trainer setting takes in a sweep: its parameter's values or bounds, or the train block's value. */
function valuesOf(spec: SweepSpec, name: 'train_size' | 'validation_split'): Array<number | null> {
  const dist = spec.parameters[name];
  if (!dist) return [spec.train[name]];
  if (dist.type === 'constant') return [dist.value as number | null];
  if (dist.type === 'categorical') return dist.values as Array<number | null>;
  return extremesOf(dist) ?? [];
}

/**
 * A dataset that cannot train anything is refused before the sweep starts, not found out trial by trial:
 * fewer than two classes, or a training subset too small to hold out a validation split and still train.
 */
export function checkDatasetFits(dataset: Dataset, spec: SweepSpec): void {
  const { train } = dataset;
  const labels = new Set(train.labels);
  if (labels.size < 2) throw new DatasetError(dataset.name, `its ${train.count} training image(s) all have label ${[...labels][0]}: a classifier needs at least 2 classes`);
  for (const trainSize of valuesOf(spec, 'train_size')) {
    for (const split of valuesOf(spec, 'validation_split')) {
      const size = Math.min(trainSize ?? train.count, train.count);
      const held = Math.max(1, Math.round(size * (split ?? 0.1)));
      if (held >= size) {
        const what = trainSize === null || trainSize >= train.count ? `its ${train.count} training image(s)` : `train_size ${trainSize}`;
        throw new DatasetError(dataset.name, `${what} with validation_split ${split} leave no image to train on after ${held} are held out for validation`);
      }
    }
  }
}
