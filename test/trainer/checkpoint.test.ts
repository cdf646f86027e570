/**
 * A trial resumed from a checkpoint trains exactly as it would have without the interruption: the same
 * weights, optimizer state (Adam's moments), data order, augmentation and dropout streams, schedules.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/trainer/backend.js';
import { defaultTrainConfig, type TrainConfig } from '../../src/trainer/knobs.js';
import { loadMnist } from '../../src/trainer/mnist.js';
import { trainTrial } from '../../src/trainer/train.js';
import type { Captured } from '../../src/trainer/checkpoint.js';

const mnist = loadMnist();
const data = { train: mnist.train, classes: mnist.classes };

async function interruptedAt(config: TrainConfig, after: number): Promise<{ whole: Awaited<ReturnType<typeof trainTrial>>; resumed: Awaited<ReturnType<typeof trainTrial>>; trained: number[] }> {
  const checkpoints: Captured[] = [];
  const whole = await trainTrial({ config, data, sweepSeed: 4, trialSeed: 9, onCheckpoint: (c) => checkpoints.push(c) });
  // After every epoch but the last (and none after the epoch early stopping ends on).
  assert.equal(checkpoints.length, whole.stoppedEpoch < config.epochs ? whole.stoppedEpoch - 1 : config.epochs - 1);
  const cp = checkpoints[after - 1]!;
  // Through a structured clone, as the checkpoint travels from a worker and back from the database.
  const copy = structuredClone({ state: cp.state, data: new Uint8Array(cp.data) });
  const trained: number[] = [];
  const baseline = tf.memory().numTensors;
  const resumed = await trainTrial({ config, data, sweepSeed: 4, trialSeed: 9, resume: copy, onEpoch: (e) => trained.push(e.epoch) });
  assert.equal(tf.memory().numTensors, baseline, 'the resumed training frees every tensor it made');
  return { whole, resumed, trained };
}

describe('checkpoints', () => {
  before(async () => {
    await initBackend();
  });

  it('resumes Adam with dropout, augmentation and a schedule exactly where it stopped', async () => {
    const config: TrainConfig = { ...defaultTrainConfig(), epochs: 4, train_size: 400, units: 24, layers: 2, dropout: 0.2, rotation_range: 8, lr_schedule: 'exponential', lr_decay: 0.7 };
    const { whole, resumed, trained } = await interruptedAt(config, 2);
    assert.deepEqual(trained, [3, 4], 'epochs 1 and 2 are not trained again');
    assert.deepEqual(resumed.epochs.map((e) => e.epoch), [1, 2, 3, 4]);
    const clean = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'inference_ms'));
    assert.deepEqual(clean(resumed.metrics), clean(whole.metrics));
    assert.deepEqual(resumed.epochs.map((e) => e.metrics), whole.epochs.map((e) => e.metrics));
  });

  it('resumes SGD with momentum and early stopping that restores its best weights', async () => {
    const config: TrainConfig = { ...defaultTrainConfig(), epochs: 6, train_size: 300, units: 16, optimizer: 'sgd', momentum: 0.9, learning_rate: 0.2, early_stopping: true, patience: 1, monitor: 'val_loss', restore_best_weights: true };
    const { whole, resumed } = await interruptedAt(config, 2);
    assert.equal(resumed.bestEpoch, whole.bestEpoch);
    assert.equal(resumed.stoppedEpoch, whole.stoppedEpoch);
    assert.ok(whole.stoppedEpoch < config.epochs, 'early stopping ended it (the test would not test it otherwise)');
    assert.equal(resumed.metrics.val_loss, whole.metrics.val_loss);
    assert.deepEqual(resumed.epochs.map((e) => e.metrics), whole.epochs.map((e) => e.metrics));
  });
});
