import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../space/rng.js';
import type { TrainConfig } from './knobs.js';

/** Flatten → Dense(units, relu) → Dense(classes, softmax), weights initialised from the trial's seed. */
export function buildMlp(config: TrainConfig, input: { rows: number; cols: number; classes: number }, seed: number): tf.Sequential {
  const init = (layer: number) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, 'init', layer) });
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [input.rows, input.cols] }),
      tf.layers.dense({ units: config.units, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ units: input.classes, activation: 'softmax', kernelInitializer: init(2) }),
    ],
  });
}

export function makeOptimizer(config: TrainConfig): tf.Optimizer {
  switch (config.optimizer) {
    case 'adam':
      return tf.train.adam(config.learning_rate);
    case 'sgd':
      return tf.train.sgd(config.learning_rate);
    case 'rmsprop':
      return tf.train.rmsprop(config.learning_rate);
  }
}
