/**
 * The fit loop for one trial: builds the model, trains epoch by epoch, reports each epoch as it ends, and
 * leaves the thread's tensor count where it found it, whatever happens. Knows nothing of storage or workers.
 */
import * as tf from '@tensorflow/tfjs';
import { TrialError } from '../errors.js';
import { createRng, deriveSeed, shuffleInPlace } from '../space/rng.js';
import type { EpochRecord, Metrics } from '../storage/storage.js';
import type { TrainConfig } from './knobs.js';
import type { ImageSet } from './mnist.js';
import { buildModel, makeOptimizer } from './models.js';
import { makeSplits } from './data.js';

export interface TrainInput {
  config: TrainConfig;
  data: { train: ImageSet; classes: number };
  sweepSeed: number;
  trialSeed: number;
  onEpoch?: (epoch: EpochRecord) => void;
}

export interface TrainOutput {
  metrics: Metrics;
  epochs: EpochRecord[];
}

/** tfjs names accuracy `acc`; tfsweep uses the Keras names. */
function renameMetrics(logs: tf.Logs | undefined): Metrics {
  const out: Metrics = {};
  for (const [key, value] of Object.entries(logs ?? {})) {
    out[key === 'acc' ? 'accuracy' : key === 'val_acc' ? 'val_accuracy' : key] = value;
  }
  return out;
}

function weightsFinite(model: tf.LayersModel): boolean {
  const total = tf.tidy(() => tf.addN(model.trainableWeights.map((w) => tf.sum(tf.abs(w.read())))).dataSync()[0]!);
  return Number.isFinite(total);
}

export async function trainTrial(input: TrainInput): Promise<TrainOutput> {
  const { config, data } = input;
  const splits = makeSplits(data.train, { trainSize: config.train_size, validationSplit: config.validation_split, sweepSeed: input.sweepSeed });
  const { rows, cols } = data.train;
  const epochs: EpochRecord[] = [];
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  let model: tf.Sequential | undefined;
  let optimizer: tf.Optimizer | undefined;
  try {
    const xVal = keep(tf.tensor4d(splits.validation.x, [splits.validation.count, rows, cols, 1]));
    const yVal = keep(tf.oneHot(keep(tf.tensor1d(splits.validation.y, 'int32')), data.classes));

    model = buildModel(config, { rows, cols, channels: 1, classes: data.classes }, input.trialSeed);
    optimizer = makeOptimizer(config);
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });

    // tfjs's own shuffle draws from Math.random; a seeded permutation per epoch keeps trials reproducible.
    // The permuted copy is made in JS memory: a tf.gather of the whole training set on wasm costs ~10× more.
    const rng = createRng(deriveSeed(input.trialSeed, 'shuffle'));
    const count = splits.train.count;
    const features = splits.features;
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    const xBuf = new Float32Array(count * features);
    const yBuf = new Int32Array(count);

    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      shuffleInPlace(order, rng);
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        const src = order[i]!;
        xBuf.set(splits.train.x.subarray(src * features, (src + 1) * features), i * features);
        yBuf[i] = splits.train.y[src]!;
      }
      const xs = tf.tensor4d(xBuf, [count, rows, cols, 1]);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(yBuf, 'int32'), data.classes));
      let history: tf.History;
      try {
        history = await model.fit(xs, ys, {
          epochs: epoch,
          initialEpoch: epoch - 1,
          batchSize: config.batch_size,
          shuffle: false,
          validationData: [xVal, yVal],
          verbose: 0,
          // Trials run in worker threads with no UI to keep responsive: tfjs's default pause every 125 ms is waste.
          yieldEvery: 'never',
        });
      } finally {
        xs.dispose();
        ys.dispose();
      }
      const metrics = renameMetrics(
        Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, Number(v[v.length - 1])])) as tf.Logs,
      );
      const record: EpochRecord = { epoch, metrics, durationMs: performance.now() - started, samples: splits.train.count };
      epochs.push(record);
      input.onEpoch?.(record);
      if (!Number.isFinite(metrics.loss)) throw new TrialError(`loss became ${metrics.loss} at epoch ${epoch}`);
      // tfjs clips predictions inside its cross-entropy, so diverged (NaN/∞) weights can still report a finite
      // loss; check the weights themselves, as Keras' TerminateOnNaN would see the loss.
      if (!weightsFinite(model)) throw new TrialError(`training diverged: weights became NaN or infinite at epoch ${epoch} (loss reported ${metrics.loss})`);
    }
    return { metrics: epochs[epochs.length - 1]!.metrics, epochs };
  } finally {
    // The model owns its weights; an optimizer passed in as an object is not the model's to dispose.
    model?.dispose();
    optimizer?.dispose();
    tf.dispose(owned);
  }
}
