/** Reading IDX image and label files (the MNIST format), plain or gzipped, with errors naming the file. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Images and their labels, as read from an IDX pair (or a CSV). */
export interface ImageSet {
  /** count × rows × cols bytes, 0–255, shared between threads. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

export function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/** A dataset file's bytes; every problem a DatasetError naming it. */
export function readDataFile(file: string): Buffer {
  try {
    // A FIFO or device (csv:/dev/zero) would be read until memory runs out.
    if (!statSync(file).isFile()) throw new DatasetError(file, 'not a regular file');
    return readFileSync(file);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function readMaybeGzip(file: string): Buffer {
  const raw = readDataFile(file);
  if (raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
  try {
    return gunzipSync(raw);
  } catch (err) {
    throw new DatasetError(file, `not a readable gzip file (${(err as Error).message})`);
  }
}

/** The file named `base` in `dir`, plain or with .gz. */
export function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) if (existsSync(path.join(dir, name))) return path.join(dir, name);
  throw new DatasetError(path.join(dir, base), 'missing (looked for it and for .gz)');
}

/** An IDX image file (magic 2051) and its label file (magic 2049), checked against each other. */
export function readIdx(imagesFile: string, labelsFile: string): ImageSet {
  const img = readMaybeGzip(imagesFile);
  const lab = readMaybeGzip(labelsFile);
  if (img.length < 16 || img.readUInt32BE(0) !== 2051) {
    throw new DatasetError(imagesFile, `not an IDX image file: magic number ${img.length >= 4 ? img.readUInt32BE(0) : 'missing'}, expected 2051`);
  }
  if (lab.length < 8 || lab.readUInt32BE(0) !== 2049) {
    throw new DatasetError(labelsFile, `not an IDX label file: magic number ${lab.length >= 4 ? lab.readUInt32BE(0) : 'missing'}, expected 2049`);
  }
  const count = img.readUInt32BE(4);
  const rows = img.readUInt32BE(8);
  const cols = img.readUInt32BE(12);
  if (count === 0) throw new DatasetError(imagesFile, 'holds no images');
  if (rows === 0 || cols === 0) throw new DatasetError(imagesFile, `its images are ${rows}×${cols} pixels: nothing to learn from`);
  if (lab.readUInt32BE(4) !== count) throw new DatasetError(labelsFile, `${lab.readUInt32BE(4)} labels for ${count} images in ${path.basename(imagesFile)}`);
  if (img.length !== 16 + count * rows * cols) throw new DatasetError(imagesFile, `expected ${16 + count * rows * cols} bytes for ${count} images of ${rows}×${cols}, found ${img.length}`);
  if (lab.length !== 8 + count) throw new DatasetError(labelsFile, `expected ${8 + count} bytes for ${count} labels, found ${lab.length}`);
  return { images: shared(img.subarray(16)), labels: shared(lab.subarray(8)), count, rows, cols };
}

