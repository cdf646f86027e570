import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { DatasetError, loadDataset, readCsv } from '../../src/trainer/datasets.js';
import { readIdx } from '../../src/trainer/idx.js';
import { loadMnist } from '../../src/trainer/mnist.js';
import { runCli, tempDir, writeFile } from '../helpers.js';

const mnist = loadMnist();

function idxImages(count: number, offset = 0, magic = 2051, rows = 28): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(rows, 8);
  head.writeUInt32BE(28, 12);
  return Buffer.concat([head, Buffer.from(mnist.train.images.subarray(offset * 784, (offset + count) * 784))]);
}

function idxLabels(count: number, offset = 0, magic = 2049): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(magic, 0);
  head.writeUInt32BE(count, 4);
  return Buffer.concat([head, Buffer.from(mnist.train.labels.subarray(offset, offset + count))]);
}

/** A Fashion-MNIST-shaped folder (gzipped, as downloaded) made from MNIST images. */
function idxFolder(): string {
  const dir = path.join(tempDir(), 'fashion');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(600)));
  writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(600)));
  writeFileSync(path.join(dir, 't10k-images-idx3-ubyte'), idxImages(200, 600));
  writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), idxLabels(200, 600));
  return dir;
}

const fails = (fn: () => unknown, pattern: RegExp): void => assert.throws(fn, (err: unknown) => err instanceof DatasetError && pattern.test(err.message));

describe('IDX datasets', () => {
  it('reads gzipped and plain IDX files into the same shape as the embedded MNIST', () => {
    const dir = idxFolder();
    const ds = loadDataset(`idx:${dir}`);
    assert.equal(ds.train.count, 600);
    assert.equal(ds.test!.count, 200);
    assert.equal(ds.classes, 10);
    assert.deepEqual(ds.train.images.subarray(0, 784), mnist.train.images.subarray(0, 784));
  });

  it('rejects a wrong magic number, mismatched counts, a short file and a missing file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'img'), idxImages(10, 0, 2049));
    writeFileSync(path.join(dir, 'lab'), idxLabels(10));
    fails(() => readIdx(path.join(dir, 'img'), path.join(dir, 'lab')), /img: not an IDX image file: magic number 2049, expected 2051/);
    writeFileSync(path.join(dir, 'img'), idxImages(10));
    writeFileSync(path.join(dir, 'lab'), idxLabels(9));
    fails(() => readIdx(path.join(dir, 'img'), path.join(dir, 'lab')), /lab: 9 labels for 10 images in img/);
    writeFileSync(path.join(dir, 'lab'), idxLabels(10));
    writeFileSync(path.join(dir, 'img'), idxImages(10).subarray(0, 5000));
    fails(() => readIdx(path.join(dir, 'img'), path.join(dir, 'lab')), /img: expected 7856 bytes for 10 images of 28×28, found 5000/);
    fails(() => loadDataset(`idx:${dir}`), /train-images-idx3-ubyte: missing/);
  });
});

describe('CSV datasets', () => {
  const row = (label: number, i: number): string => [label, ...Array.from(mnist.train.images.subarray(i * 784, (i + 1) * 784))].join(',');

  it('reads a label column and pixel columns, with or without a header', () => {
    const dir = tempDir();
    const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
    const withHeader = writeFile(dir, 'h.csv', [header, ...[0, 1, 2].map((i) => row(mnist.train.labels[i]!, i))].join('\n'));
    const set = readCsv(withHeader);
    assert.equal(set.count, 3);
    assert.equal(set.rows, 28);
    assert.deepEqual(set.labels, mnist.train.labels.subarray(0, 3));
    assert.deepEqual(set.images.subarray(784, 1568), mnist.train.images.subarray(784, 1568));
    const bare = readCsv(writeFile(dir, 'b.csv', [0, 1].map((i) => row(mnist.train.labels[i]!, i)).join('\n')));
    assert.equal(bare.count, 2);
  });

  it('rejects non-numeric cells, ragged rows, bad labels and non-square images', () => {
    const dir = tempDir();
    const good = row(5, 0);
    fails(() => readCsv(writeFile(dir, 'a.csv', `${good}\n${good.replace(/,0,/, ',x,')}`)), /a\.csv: line 2, column \d+: "x" is not a number/);
    fails(() => readCsv(writeFile(dir, 'r.csv', `${good}\n5,0,0`)), /r\.csv: line 2: 3 cells, expected 785/);
    fails(() => readCsv(writeFile(dir, 'l.csv', good.replace(/^5,/, '2.5,'))), /l\.csv: line 1: label 2\.5 is not a class number/);
    fails(() => readCsv(writeFile(dir, 's.csv', '1,0,0,0,0,0\n')), /s\.csv: expected a label column and a square number of pixel columns, found 5/);
  });
});

describe('datasets through the CLI', () => {
  it('trains on an idx: folder relative to the sweep file, evaluates the best on its test split', async () => {
    const dir = idxFolder();
    const sweepDir = path.dirname(dir);
    writeFile(sweepDir, 'f.yaml', 'name: fashion\nmethod: grid\nseed: 1\nparameters:\n  units: {values: [16, 32]}\ntrain: {dataset: "idx:./fashion", epochs: 1}\n');
    const out = await runCli(['run', 'f.yaml', '--db', 'f.db', '--workers', '2'], { cwd: sweepDir });
    assert.equal(out.code, 0, out.stderr + out.stdout);
    const best = JSON.parse((await runCli(['best', 'fashion', '--db', 'f.db', '--json'], { cwd: sweepDir })).stdout) as Array<{ test_metrics: Record<string, number> }>;
    assert.ok(best[0]!.test_metrics.test_accuracy! > 0.1);
  });

  it('refuses a missing dataset path and a broken dataset with exit 2, writing nothing', async () => {
    const dir = tempDir();
    writeFile(dir, 'm.yaml', 'method: grid\nparameters:\n  units: {values: [8]}\ntrain: {dataset: "csv:./nope.csv"}\n');
    const missing = await runCli(['run', 'm.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: m\.yaml:4: train\.dataset: no such file or folder: .*nope\.csv/);
    writeFile(dir, 'bad.csv', '1,2,3\n');
    writeFile(dir, 'b.yaml', 'method: grid\nparameters:\n  units: {values: [8]}\ntrain: {dataset: "csv:./bad.csv"}\n');
    const broken = await runCli(['run', 'b.yaml', '--db', 'x.db'], { cwd: dir });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /^error: b\.yaml: train\.dataset: .*bad\.csv: expected a label column and a square number of pixel columns, found 2/);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(path.join(dir, 'x.db')), false);
  });
});
