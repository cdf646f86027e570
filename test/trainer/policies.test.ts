import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { augmentImage } from '../../src/trainer/augment.js';
import { initBackend } from '../../src/trainer/backend.js';
import { defaultTrainConfig, type TrainConfig } from '../../src/trainer/knobs.js';
import { loadMnist } from '../../src/trainer/mnist.js';
import { EarlyStopping, LrSchedule } from '../../src/trainer/schedule.js';
import { trainTrial } from '../../src/trainer/train.js';
import { createRng } from '../../src/space/rng.js';

const cfg = (over: Partial<TrainConfig> = {}): TrainConfig => ({ ...defaultTrainConfig(), ...over });
const mnist = loadMnist();
const image = Float32Array.from(mnist.train.images.subarray(0, 784), (v) => v / 255);

describe('augmentation', () => {
  const settings = { rotation_range: 15, width_shift_range: 0.1, height_shift_range: 0.1, zoom_range: 0.1 };

  it('changes the image, keeps the pixel range, and is reproducible with its seed', () => {
    const a = new Float32Array(784);
    const b = new Float32Array(784);
    augmentImage(image, 0, a, 0, 28, 28, settings, createRng(1));
    augmentImage(image, 0, b, 0, 28, 28, settings, createRng(1));
    assert.deepEqual(a, b);
    assert.ok(a.some((v, i) => Math.abs(v - image[i]!) > 0.1), 'the image changed');
    assert.ok(a.every((v) => v >= 0 && v <= 1), 'inside [0, 1]');
    const c = new Float32Array(784);
    augmentImage(image, 0, c, 0, 28, 28, settings, createRng(2));
    assert.notDeepEqual(a, c);
  });

  it('is the identity with every range at 0, and keeps the ink roughly constant under a shift', () => {
    const out = new Float32Array(784);
    augmentImage(image, 0, out, 0, 28, 28, { rotation_range: 0, width_shift_range: 0, height_shift_range: 0, zoom_range: 0 }, createRng(3));
    for (let i = 0; i < 784; i++) assert.ok(Math.abs(out[i]! - image[i]!) < 1e-6);
    augmentImage(image, 0, out, 0, 28, 28, { rotation_range: 0, width_shift_range: 0.1, height_shift_range: 0, zoom_range: 0 }, createRng(3));
    const ink = (x: Float32Array) => x.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(ink(out) - ink(image)) / ink(image) < 0.05, 'a small shift of a centred digit keeps its ink');
  });
});

describe('early stopping', () => {
  it("stops after `patience` epochs without improvement (Keras' rule), tracking the best epoch", () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, min_delta: 0 });
    const losses = [1.0, 0.8, 0.85, 0.7, 0.72, 0.71, 0.75, 0.5];
    let stoppedAt = 0;
    for (let e = 1; e <= losses.length && !stoppedAt; e++) if (es.update(e, { val_loss: losses[e - 1]! }).stop) stoppedAt = e;
    assert.equal(stoppedAt, 6);
    assert.equal(es.bestEpoch, 4);
    assert.equal(es.bestValue, 0.7);
  });

  it('respects min_delta and metrics where higher is better', () => {
    const es = new EarlyStopping({ monitor: 'val_accuracy', patience: 1, min_delta: 0.01 });
    const accs = [0.9, 0.95, 0.905, 0.955, 0.956];
    const stops = accs.map((v, i) => es.update(i + 1, { val_accuracy: v }).stop);
    // 0.955 is not 0.01 better than 0.95: epoch 4 is a second epoch without improvement.
    assert.deepEqual(stops.slice(0, 3), [false, false, true]);
    assert.equal(es.bestEpoch, 2);
  });
});

describe('learning-rate schedules', () => {
  it('step, exponential and plateau', () => {
    const step = new LrSchedule(cfg({ lr_schedule: 'step', lr_decay: 0.5, lr_decay_epochs: 2 }));
    const stepRates: number[] = [];
    let lr = 0.1;
    for (let e = 1; e <= 5; e++) stepRates.push((lr = step.next(lr, e, {})));
    assert.deepEqual(stepRates, [0.1, 0.05, 0.05, 0.025, 0.025]);

    const exp = new LrSchedule(cfg({ lr_schedule: 'exponential', lr_decay: 0.9, min_lr: 0.08 }));
    assert.equal(exp.next(0.1, 1, {}), 0.09000000000000001);
    assert.equal(exp.next(0.09, 2, {}), 0.081);
    assert.equal(exp.next(0.081, 3, {}), 0.08);

    const plateau = new LrSchedule(cfg({ lr_schedule: 'plateau', lr_decay: 0.1, lr_patience: 2, monitor: 'val_loss' }));
    const rates: number[] = [];
    lr = 1;
    for (const [e, v] of [[1, 1.0], [2, 0.9], [3, 0.95], [4, 0.91], [5, 0.92], [6, 0.8]] as const) rates.push((lr = plateau.next(lr, e, { val_loss: v })));
    assert.deepEqual(rates, [1, 1, 1, 0.1, 0.1, 0.1]);
  });
});

describe('policies inside a real trial', () => {
  before(async () => {
    await initBackend();
  });

  it("restore_best_weights ends with the best epoch's metrics, and the trial records where it stopped", async () => {
    const baseline = tf.memory().numTensors;
    const out = await trainTrial({
      config: cfg({ epochs: 4, train_size: 400, units: 16, early_stopping: true, monitor: 'val_accuracy', patience: 10, restore_best_weights: true }),
      data: { train: mnist.train, classes: 10 },
      sweepSeed: 1,
      trialSeed: 1,
    });
    const best = Math.max(...out.epochs.map((e) => e.metrics.val_accuracy!));
    assert.equal(out.metrics.val_accuracy, best);
    assert.equal(out.stoppedEpoch, 4);
    assert.equal(out.epochs[out.bestEpoch! - 1]!.metrics.val_accuracy, best);
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('a schedule changes the rate the optimizer uses, recorded per epoch', async () => {
    const out = await trainTrial({
      config: cfg({ epochs: 3, train_size: 300, units: 16, optimizer: 'sgd', learning_rate: 0.1, lr_schedule: 'exponential', lr_decay: 0.5 }),
      data: { train: mnist.train, classes: 10 },
      sweepSeed: 1,
      trialSeed: 1,
    });
    assert.deepEqual(out.epochs.map((e) => e.metrics.lr), [0.1, 0.05, 0.025]);
  });

  it('trains with augmentation and standardization', async () => {
    const out = await trainTrial({
      config: cfg({ epochs: 2, train_size: 600, units: 32, normalization: 'standardize', rotation_range: 10, width_shift_range: 0.1, height_shift_range: 0.1 }),
      data: { train: mnist.train, classes: 10 },
      sweepSeed: 1,
      trialSeed: 1,
    });
    // 540 augmented images, 2 short epochs: well above chance (0.1) and still learning.
    assert.ok(out.metrics.val_accuracy! > 0.25, `val_accuracy ${out.metrics.val_accuracy}`);
    assert.ok(out.epochs[1]!.metrics.loss! < out.epochs[0]!.metrics.loss!);
  });
});

describe('executions per trial', () => {
  it('aggregate to the mean of each metric, keeping every execution', async () => {
    const { aggregateExecutions, executionSeed } = await import('../../src/trainer/executions.js');
    const { summarizeValues } = await import('../../src/report/stats.js');
    const runs = [0.9, 0.92, 0.94].map((v, i) => ({ seed: executionSeed(5, i), metrics: { val_accuracy: v, loss: 1 - v }, epochs: [], stoppedEpoch: 3, bestEpoch: null }));
    const { metrics, executions } = aggregateExecutions(runs);
    assert.ok(Math.abs(metrics.val_accuracy! - 0.92) < 1e-12);
    assert.ok(Math.abs(metrics.loss! - 0.08) < 1e-12);
    assert.equal(executions.length, 3);
    assert.equal(executionSeed(5, 0), 5);
    assert.notEqual(executionSeed(5, 1), executionSeed(5, 2));
    const s = summarizeValues([0.9, 0.92, 0.94])!;
    assert.ok(Math.abs(s.std! - 0.02) < 1e-12);
    // t(0.975, 2) = 4.303: half-width 4.303 × 0.02 / √3
    assert.ok(Math.abs(s.ci95![1] - (0.92 + (4.303 * 0.02) / Math.sqrt(3))) < 1e-9);
  });
});
