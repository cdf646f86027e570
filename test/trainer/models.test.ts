import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { SpecError } from '../../src/errors.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { initBackend } from '../../src/trainer/backend.js';
import { defaultTrainConfig, type TrainConfig } from '../../src/trainer/knobs.js';
import { loadMnist } from '../../src/trainer/mnist.js';
import { buildModel, makeOptimizer } from '../../src/trainer/models.js';
import { trainTrial } from '../../src/trainer/train.js';

const input = { rows: 28, cols: 28, channels: 1, classes: 10 };
const cfg = (over: Partial<TrainConfig> & Record<string, unknown> = {}): TrainConfig => ({ ...defaultTrainConfig(), ...over }) as TrainConfig;

function layers(model: tf.Sequential): Array<Record<string, unknown>> {
  return model.layers.map((l) => ({ type: l.getClassName(), ...(l.getConfig() as Record<string, unknown>) }));
}

describe('model builders', () => {
  before(async () => {
    await initBackend();
  });

  it('builds the MLP from layers, units_N, activation, dropout_N, l1/l2 and batch_norm', () => {
    const model = buildModel(cfg({ layers: 2, units: 64, units_2: 32, activation: 'tanh', dropout: 0.5, dropout_2: 0.3, l1: 0.001, l2: 0.01 }), input, 1);
    const ls = layers(model);
    assert.deepEqual(ls.map((l) => l.type), ['Flatten', 'Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    assert.deepEqual([ls[1]!.units, ls[3]!.units, ls[5]!.units], [64, 32, 10]);
    assert.deepEqual([ls[1]!.activation, ls[3]!.activation, ls[5]!.activation], ['tanh', 'tanh', 'softmax']);
    assert.deepEqual([ls[2]!.rate, ls[4]!.rate], [0.5, 0.3]);
    const reg = (ls[1]!.kernelRegularizer as { config: { l1: number; l2: number } }).config;
    assert.ok(Math.abs(reg.l1 - 0.001) < 1e-9 && Math.abs(reg.l2 - 0.01) < 1e-9, JSON.stringify(reg));
    assert.equal(ls[5]!.kernelRegularizer, null);
    model.dispose();

    const bn = layers(buildModel(cfg({ batch_norm: true, activation: 'selu' }), input, 1));
    assert.deepEqual(bn.map((l) => l.type), ['Flatten', 'Dense', 'BatchNormalization', 'Activation', 'Dense']);
    assert.equal(bn[1]!.useBias, false);
    assert.equal(bn[3]!.activation, 'selu');
  });

  it('maps every activation name to a tfjs activation', () => {
    for (const [name, tfName] of [['hard_sigmoid', 'hardSigmoid'], ['swish', 'swish'], ['gelu', 'gelu'], ['elu', 'elu'], ['softplus', 'softplus']]) {
      const model = buildModel(cfg({ activation: name! }), input, 1);
      assert.equal(layers(model)[1]!.activation, tfName);
      model.dispose();
    }
  });

  it('builds the CNN from conv_blocks, filters (doubling or filters_N), kernel_size, pool and conv_dropout, then the dense head', () => {
    const model = buildModel(cfg({ model: 'cnn', conv_blocks: 3, filters: 8, filters_3: 40, kernel_size: 5, pool: 'avg', conv_dropout: 0.25, units: 32 }), input, 1);
    const ls = layers(model);
    assert.deepEqual(ls.map((l) => l.type), ['Conv2D', 'AveragePooling2D', 'Dropout', 'Conv2D', 'AveragePooling2D', 'Dropout', 'Conv2D', 'AveragePooling2D', 'Dropout', 'Flatten', 'Dense', 'Dense']);
    assert.deepEqual([ls[0]!.filters, ls[3]!.filters, ls[6]!.filters], [8, 16, 40]);
    assert.deepEqual(ls[0]!.kernelSize, [5, 5]);
    assert.equal(ls[2]!.rate, 0.25);
    assert.equal(ls[10]!.units, 32);
    assert.deepEqual(model.outputs[0]!.shape, [null, 10]);
    model.dispose();
  });

  it('makes each optimizer with its settings', () => {
    const cases: Array<[Partial<TrainConfig>, string, Record<string, unknown>]> = [
      [{ optimizer: 'adam', learning_rate: 0.01 }, 'Adam', { learningRate: 0.01 }],
      [{ optimizer: 'sgd', learning_rate: 0.1 }, 'SGD', { learningRate: 0.1 }],
      [{ optimizer: 'sgd', learning_rate: 0.1, momentum: 0.9 }, 'Momentum', { learningRate: 0.1, momentum: 0.9 }],
      [{ optimizer: 'rmsprop', learning_rate: 0.002, momentum: 0.5 }, 'RMSProp', { learningRate: 0.002, momentum: 0.5 }],
      [{ optimizer: 'adagrad', learning_rate: 0.05 }, 'Adagrad', { learningRate: 0.05 }],
      [{ optimizer: 'adamax', learning_rate: 0.002 }, 'Adamax', { learningRate: 0.002 }],
      [{ optimizer: 'adadelta', learning_rate: 1 }, 'Adadelta', { learningRate: 1 }],
    ];
    for (const [over, className, expected] of cases) {
      const opt = makeOptimizer(cfg(over));
      assert.equal(opt.getClassName(), className);
      const config = opt.getConfig() as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected)) assert.equal(config[k], v, `${className}.${k}`);
      opt.dispose();
    }
  });

  it('trains a small CNN on wasm (the filter-gradient kernel) and frees its tensors', async () => {
    const mnist = loadMnist();
    const baseline = tf.memory().numTensors;
    const out = await trainTrial({
      config: cfg({ model: 'cnn', conv_blocks: 2, filters: 8, units: 32, epochs: 2, train_size: 600, batch_size: 32 }),
      data: { train: mnist.train, classes: 10 },
      sweepSeed: 1,
      trialSeed: 2,
    });
    assert.ok(out.epochs[1]!.metrics.loss! < out.epochs[0]!.metrics.loss!, 'the loss falls');
    assert.ok(out.metrics.val_accuracy! > 0.4, `val_accuracy ${out.metrics.val_accuracy}`);
    assert.equal(tf.memory().numTensors, baseline);
  });
});

describe('knob applicability', () => {
  const bad = (text: string): string => {
    try {
      parseSpecText(text, 's.yaml');
    } catch (err) {
      assert.ok(err instanceof SpecError);
      return err.format();
    }
    return assert.fail('expected an error');
  };

  it('names a knob that does not apply to the model, the optimizer or the layer count', () => {
    assert.equal(
      bad('method: grid\nparameters:\n  conv_blocks: {values: [1, 2]}\n'),
      's.yaml:3: parameters.conv_blocks: "conv_blocks" applies to model cnn, and this sweep trains mlp',
    );
    assert.equal(bad('method: grid\ntrain: {momentum: 0.9}\nparameters:\n  units: {values: [8]}\n'), 's.yaml:2: train.momentum: "momentum" applies to optimizer sgd or rmsprop, and this sweep uses adam');
    assert.equal(bad('method: grid\ntrain: {layers: 2}\nparameters:\n  units_3: {values: [8]}\n'), 's.yaml:4: parameters.units_3: there is no layer 3: at most 2 in this sweep');
    assert.match(bad('method: grid\nparameters:\n  batch_norm: {min: 0, max: 1}\n'), /batch_norm: "batch_norm" takes true or false/);
  });

  it('accepts knobs that apply to one of the models a sweep tries', () => {
    const { spec } = parseSpecText('method: grid\nparameters:\n  model: {values: [mlp, cnn]}\n  filters: {values: [8, 16]}\n  layers: {values: [1, 3]}\n  units_3: {values: [16]}\n  batch_norm: {values: [true, false]}\n', 's.yaml');
    assert.deepEqual(Object.keys(spec.parameters), ['model', 'filters', 'layers', 'units_3', 'batch_norm']);
  });
});

describe('saved models', () => {
  before(async () => {
    await initBackend();
  });

  it('reload with tf.loadLayersModel and reproduce the recorded validation accuracy within 1e-3', async () => {
    const { fileSystem } = await import('../../src/trainer/model-io.js');
    const { makeSplits } = await import('../../src/trainer/data.js');
    const { tempDir } = await import('../helpers.js');
    const { existsSync } = await import('node:fs');
    const mnist = loadMnist();
    const dir = `${tempDir()}/trial-0000`;
    const config = cfg({ model: 'cnn', conv_blocks: 1, filters: 4, units: 16, batch_norm: true, dropout: 0.2, epochs: 2, train_size: 500, normalization: 'standardize' });
    const out = await trainTrial({ config, data: { train: mnist.train, classes: 10 }, sweepSeed: 9, trialSeed: 3, saveTo: dir });
    assert.equal(out.modelPath, dir);
    assert.ok(existsSync(`${dir}/model.json`) && existsSync(`${dir}/weights.bin`));
    const model = await tf.loadLayersModel(fileSystem(dir));
    const meta = (model.getUserDefinedMetadata() as { tfsweep: { normalization: { offset: number; scale: number } } }).tfsweep;
    const splits = makeSplits(mnist.train, { trainSize: 500, validationSplit: 0.1, sweepSeed: 9, normalization: 'standardize' });
    assert.deepEqual(meta.normalization, splits.normalization);
    const accuracy = tf.tidy(() => {
      const pred = model.predict(tf.tensor4d(splits.validation.x, [splits.validation.count, 28, 28, 1])) as tf.Tensor;
      const hits = tf.equal(tf.argMax(pred, 1), tf.tensor1d(splits.validation.y, 'int32'));
      return tf.mean(tf.cast(hits, 'float32')).dataSync()[0]!;
    });
    assert.ok(Math.abs(accuracy - out.metrics.val_accuracy!) < 1e-3, `reloaded ${accuracy} vs recorded ${out.metrics.val_accuracy}`);
    model.dispose();
  });
});
