import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { TrialError } from '../../src/errors.js';
import { initBackend } from '../../src/trainer/backend.js';
import { makeSplits } from '../../src/trainer/data.js';
import { defaultTrainConfig, type TrainConfig } from '../../src/trainer/knobs.js';
import { loadMnist } from '../../src/trainer/mnist.js';
import { trainTrial } from '../../src/trainer/train.js';

const mnist = loadMnist();
const data = { train: mnist.train, classes: mnist.classes };
const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({ ...defaultTrainConfig(), epochs: 2, train_size: 300, units: 16, ...over });

describe('embedded MNIST', () => {
  it('has 60,000 training and 10,000 test images of 28×28 with labels 0–9, in shared memory', () => {
    assert.equal(mnist.train.count, 60000);
    assert.equal(mnist.test!.count, 10000);
    assert.equal(mnist.train.rows * mnist.train.cols, 784);
    assert.ok(mnist.train.images.buffer instanceof SharedArrayBuffer);
    assert.ok(mnist.train.labels.every((l) => l >= 0 && l <= 9));
  });
});

describe('train/validation split', () => {
  it('holds out validation_split of the seeded subset, scaled to [0, 1], the same for the same sweep seed', () => {
    const a = makeSplits(mnist.train, { trainSize: 1000, validationSplit: 0.2, sweepSeed: 3 });
    const b = makeSplits(mnist.train, { trainSize: 1000, validationSplit: 0.2, sweepSeed: 3 });
    const c = makeSplits(mnist.train, { trainSize: 1000, validationSplit: 0.2, sweepSeed: 4 });
    assert.equal(a.train.count, 800);
    assert.equal(a.validation.count, 200);
    assert.deepEqual(a.validation.x, b.validation.x);
    assert.notDeepEqual(a.validation.x, c.validation.x);
    // Stratified: each class's share of the subset and of the validation split matches the full set's.
    const share = (ys: ArrayLike<number>, label: number) => Array.from(ys).filter((y) => y === label).length / ys.length;
    for (let label = 0; label < 10; label++) {
      const full = share(mnist.train.labels, label);
      assert.ok(Math.abs(share(a.train.y, label) - full) < 0.01, `class ${label} in train`);
      assert.ok(Math.abs(share(a.validation.y, label) - full) < 0.01, `class ${label} in validation`);
    }
    let min = Infinity;
    let max = -Infinity;
    for (const v of a.train.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  });
});

describe('normalization', () => {
  it('standardizes with the training split statistics only, and keeps raw pixels with none', () => {
    const std = makeSplits(mnist.train, { trainSize: 1000, validationSplit: 0.2, sweepSeed: 3, normalization: 'standardize' });
    const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
    const sd = (x: Float32Array) => {
      const m = mean(x);
      return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length);
    };
    assert.ok(Math.abs(mean(std.train.x)) < 1e-4, `train mean ${mean(std.train.x)}`);
    assert.ok(Math.abs(sd(std.train.x) - 1) < 1e-4, `train sd ${sd(std.train.x)}`);
    // The validation split is transformed with the training statistics, so its own mean is not exactly 0.
    const raw = makeSplits(mnist.train, { trainSize: 1000, validationSplit: 0.2, sweepSeed: 3, normalization: 'none' });
    const expected = (raw.validation.x[300]! - std.normalization.offset) / std.normalization.scale;
    assert.ok(Math.abs(std.validation.x[300]! - expected) < 1e-5);
    assert.equal(raw.train.x.reduce((a, b) => Math.max(a, b), 0), 255);
    assert.notEqual(mean(std.validation.x), 0);
  });
});

describe('trainTrial', () => {
  before(async () => {
    await initBackend();
  });

  it('reports every epoch with the Keras metric names and frees every tensor it made', async () => {
    const baseline = tf.memory().numTensors;
    const seen: number[] = [];
    const out = await trainTrial({ config: config(), data, sweepSeed: 1, trialSeed: 2, onEpoch: (e) => seen.push(e.epoch) });
    assert.deepEqual(seen, [1, 2]);
    assert.equal(out.epochs.length, 2);
    assert.deepEqual(Object.keys(out.metrics).sort(), ['accuracy', 'inference_ms', 'loss', 'model_bytes', 'params', 'val_accuracy', 'val_loss']);
    assert.equal(out.epochs[0]!.samples, 270);
    assert.ok(out.metrics.val_accuracy! > 0.3, `val_accuracy ${out.metrics.val_accuracy}`);
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('is reproducible: the same seeds give the same metrics', async () => {
    const a = await trainTrial({ config: config({ epochs: 1 }), data, sweepSeed: 1, trialSeed: 9 });
    const b = await trainTrial({ config: config({ epochs: 1 }), data, sweepSeed: 1, trialSeed: 9 });
    const c = await trainTrial({ config: config({ epochs: 1 }), data, sweepSeed: 1, trialSeed: 10 });
    // inference_ms is a timing, measured afresh; everything trained is the same.
    const trained = ({ inference_ms: _ms, ...rest }: Record<string, number>) => rest;
    assert.deepEqual(trained(a.metrics), trained(b.metrics));
    assert.notDeepEqual(trained(a.metrics), trained(c.metrics));
  });

  it('fails a diverging trial with a TrialError and still frees its tensors', async () => {
    const baseline = tf.memory().numTensors;
    await assert.rejects(
      trainTrial({ config: config({ optimizer: 'sgd', learning_rate: 1e300 }), data, sweepSeed: 1, trialSeed: 2 }),
      (err: unknown) => err instanceof TrialError && /diverged: weights became NaN or infinite at epoch 1/.test(err.message),
    );
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('fails a trial whose split leaves no training data, and frees its tensors', async () => {
    const baseline = tf.memory().numTensors;
    await assert.rejects(trainTrial({ config: config({ train_size: 10, validation_split: 0.99 }), data, sweepSeed: 1, trialSeed: 2 }), /leaves no training samples/);
    assert.equal(tf.memory().numTensors, baseline);
  });
});
