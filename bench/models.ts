/** The reference models of the benchmarks, built the same way in every script. */
import * as tf from '@tensorflow/tfjs';

export type ReferenceModel = 'mlp' | 'mlp-3x512' | 'cnn';

/** mlp: 784-128-10; mlp-3x512: 784-512-512-512-10; cnn: conv16(same)-pool-conv32(same)-pool-dropout-dense(10). */
export function referenceModel(kind: ReferenceModel): tf.Sequential {
  const L = tf.layers;
  if (kind === 'cnn') {
    return tf.sequential({
      layers: [
        L.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.dropout({ rate: 0.25 }),
        L.flatten(),
        L.dense({ units: 10, activation: 'softmax' }),
      ],
    });
  }
  const hidden = kind === 'mlp' ? [128] : [512, 512, 512];
  return tf.sequential({
    layers: [L.flatten({ inputShape: [28, 28, 1] }), ...hidden.map((units) => L.dense({ units, activation: 'relu' })), L.dense({ units: 10, activation: 'softmax' })],
  });
}
