/**
 * Model and optimizer builders for the built-in trainer. Every knob of TrainConfig that shapes the network is
 * read here, and nowhere else.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../space/rng.js';
import { ACTIVATIONS, perLayer, type TrainConfig } from './knobs.js';
import { FusedAdam } from './wasm/adam.js';
import { FusedMomentum, FusedRMSProp, FusedSGD } from './native/optimizers.js';
import { seededDropout } from './dropout.js';

export interface InputShape {
  rows: number;
  cols: number;
  channels: number;
  classes: number;
}

function regularizer(config: TrainConfig): ReturnType<typeof tf.regularizers.l1l2> | undefined {
  if (config.l1 === 0 && config.l2 === 0) return undefined;
  return tf.regularizers.l1l2({ l1: config.l1, l2: config.l2 });
}

/** Dense head shared by both models: `layers` × (Dense → [BatchNorm] → activation → [Dropout]) → softmax. */
function addDenseHead(model: tf.Sequential, config: TrainConfig, seed: number, classes: number): void {
  const activation = ACTIVATIONS[config.activation] as never;
  for (let i = 1; i <= config.layers; i++) {
    model.add(
      tf.layers.dense({
        units: perLayer(config, 'units', i),
        // With batch norm the activation comes after the normalisation, and the bias is the norm's beta.
        activation: config.batch_norm ? 'linear' : activation,
        useBias: !config.batch_norm,
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'dense', i) }),
        ...(regularizer(config) ? { kernelRegularizer: regularizer(config) } : {}),
      }),
    );
    if (config.batch_norm) {
      model.add(tf.layers.batchNormalization());
      model.add(tf.layers.activation({ activation: activation as never }));
    }
    const rate = perLayer(config, 'dropout', i);
    if (rate > 0) model.add(seededDropout(rate, deriveSeed(seed, 'dropout', i)));
  }
  model.add(tf.layers.dense({ units: classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'output') }) }));
}

export function buildModel(config: TrainConfig, input: InputShape, seed: number): tf.Sequential {
  const model = tf.sequential();
  const inputShape = [input.rows, input.cols, input.channels];
  if (config.model === 'cnn') {
    for (let b = 1; b <= config.conv_blocks; b++) {
      model.add(
        tf.layers.conv2d({
          ...(b === 1 ? { inputShape } : {}),
          filters: (config[`filters_${b}`] as number | undefined) ?? config.filters * 2 ** (b - 1),
          kernelSize: config.kernel_size,
          padding: 'same',
          activation: ACTIVATIONS[config.activation] as never,
          kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'conv', b) }),
          ...(regularizer(config) ? { kernelRegularizer: regularizer(config) } : {}),
        }),
      );
      model.add(config.pool === 'avg' ? tf.layers.averagePooling2d({ poolSize: 2 }) : tf.layers.maxPooling2d({ poolSize: 2 }));
      if (config.conv_dropout > 0) model.add(seededDropout(config.conv_dropout, deriveSeed(seed, 'conv-dropout', b)));
    }
    model.add(tf.layers.flatten());
  } else {
    model.add(tf.layers.flatten({ inputShape }));
  }
  addDenseHead(model, config, seed, input.classes);
  return model;
}

export function makeOptimizer(config: TrainConfig): tf.Optimizer {
  const lr = config.learning_rate;
  switch (config.optimizer) {
    case 'adam':
      return new FusedAdam(lr);
    case 'sgd':
      return config.momentum > 0 ? new FusedMomentum(lr, config.momentum) : new FusedSGD(lr);
    case 'rmsprop':
      return new FusedRMSProp(lr, 0.9, config.momentum);
    case 'adagrad':
      return tf.train.adagrad(lr);
    case 'adamax':
      return tf.train.adamax(lr);
    case 'adadelta':
      return tf.train.adadelta(lr);
  }
}
