/**
 * The fit loop for one trial: builds the model, trains epoch by epoch, reports each epoch as it ends, and
 * leaves the thread's tensor count where it found it, whatever happens. Knows nothing of storage or workers.
 */
import * as tf from '@tensorflow/tfjs';
import { TrialError, errnoCode } from '../errors.js';
import { createRng, deriveSeed, shuffleInPlace } from '../space/rng.js';
import type { EpochRecord, Metrics } from '../core/records.js';
import type { TrainConfig } from './knobs.js';
import type { ImageSet } from './mnist.js';
import { buildModel, makeOptimizer } from './models.js';
import { applyNormalization, cachedSplits } from './data.js';
import { augmentImage, augmentationEnabled } from './augment.js';
import { EarlyStopping, LrSchedule } from './schedule.js';
import { fileSystem, type ModelMetadata } from './model-io.js';
import { epochTensorOnHeap } from './wasm/compose.js';
import { captureTraining, restoreTraining, type Captured, type TrainerState } from './checkpoint.js';

export interface TrainInput {
  config: TrainConfig;
  data: { train: ImageSet; classes: number };
  sweepSeed: number;
  trialSeed: number;
  onEpoch?: (epoch: EpochRecord) => void;
  /** Asked after each epoch (after onEpoch): true stops the training there, as pruned (no model is saved). */
  shouldPrune?: () => boolean;
  /** Folder to save the trained model to (tfjs layout), or none. */
  saveTo?: string | null;
  /** A checkpoint to resume from (its epochs are not trained again, nor reported). */
  resume?: { state: TrainerState; data: ArrayBuffer | Uint8Array } | null;
  /** Called after each epoch but the last with a checkpoint of the training (after onEpoch). */
  onCheckpoint?: (checkpoint: Captured) => void;
}

export interface TrainOutput {
  /** The final metrics: the best epoch's when early stopping restored its weights, else the last epoch's. */
  metrics: Metrics;
  epochs: EpochRecord[];
  /** The epoch training stopped after, and the best epoch by the monitored metric (early stopping only). */
  stoppedEpoch: number;
  bestEpoch: number | null;
  /** Where the model was saved, when asked to. */
  modelPath: string | null;
  /** Why the model could not be saved (after one retry); the training itself succeeded. */
  saveError?: { message: string; code: string | null };
  /** The pruner stopped the training after the last epoch. */
  pruned?: boolean;
}

/** tfjs names accuracy `acc`; tfsweep uses the Keras names. */
function renameMetrics(logs: tf.Logs | undefined): Metrics {
  const out: Metrics = {};
  for (const [key, value] of Object.entries(logs ?? {})) {
    out[key === 'acc' ? 'accuracy' : key === 'val_acc' ? 'val_accuracy' : key] = value;
  }
  return out;
}

/**
 * Disposes an optimizer whole. tfjs' MomentumOptimizer.dispose() leaves the learning-rate scalar its SGD
 * parent keeps (`c`): one tensor leaked per momentum trial, found by the tensor count of a resumed trial.
 */
function disposeOptimizer(optimizer: tf.Optimizer | undefined): void {
  if (!optimizer) return;
  const rate = (optimizer as unknown as { c?: tf.Tensor }).c;
  optimizer.dispose();
  if (rate && !rate.isDisposed) rate.dispose();
}

/** SGD and momentum cache the rate as a tensor and have a setter; the others read the field each step. */
function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

function weightsFinite(model: tf.LayersModel): boolean {
  const total = tf.tidy(() => tf.addN(model.trainableWeights.map((w) => tf.sum(tf.abs(w.read())))).dataSync()[0]!);
  return Number.isFinite(total);
}

/**
 * The training set, shuffled (and augmented) anew each epoch into one input tensor. tfjs's own shuffle draws
 * from Math.random; a seeded permutation per epoch keeps trials reproducible. The permuted copy is made in JS
 * memory: a tf.gather of the whole training set on wasm costs ~10× more.
 */
class EpochFeeder {
  private readonly rng;
  private readonly augmentRng;
  private readonly order: Int32Array;
  /** On wasm the epoch's images are written straight into one tensor on the backend's heap, allocated once per trial. */
  private readonly onHeap;
  private readonly xBuf: Float32Array | null;
  private readonly yBuf: Int32Array;
  private readonly augment: boolean;

  constructor(
    private readonly splits: ReturnType<typeof cachedSplits>,
    private readonly config: TrainConfig,
    trialSeed: number,
    private readonly shape: { rows: number; cols: number; classes: number },
    keep: (t: tf.Tensor) => void,
  ) {
    const count = splits.train.count;
    this.rng = createRng(deriveSeed(trialSeed, 'shuffle'));
    this.augmentRng = createRng(deriveSeed(trialSeed, 'augment'));
    this.order = Int32Array.from({ length: count }, (_, i) => i);
    // No JS copy to upload every epoch on wasm: half the memory traffic (two workers share the bandwidth).
    this.onHeap = epochTensorOnHeap([count, shape.rows, shape.cols, 1]);
    if (this.onHeap) keep(this.onHeap.tensor);
    this.xBuf = this.onHeap ? null : new Float32Array(count * splits.features);
    this.yBuf = new Int32Array(count);
    this.augment = config.augment && augmentationEnabled(config);
  }

  /** Where its streams are and the current order (each epoch shuffles the last one's order further). */
  snapshot(): { rng: { shuffle: number; augment: number }; order: Int32Array } {
    return { rng: { shuffle: this.rng.state, augment: this.augmentRng.state }, order: this.order };
  }

  restore(rng: { shuffle: number; augment: number }, order: Int32Array): void {
    this.rng.state = rng.shuffle;
    this.augmentRng.state = rng.augment;
    this.order.set(order);
  }

  /** The next epoch's inputs and one-hot labels; `release` frees what is not kept for the trial. */
  next(): { xs: tf.Tensor; ys: tf.Tensor; release(): void } {
    const { splits, config, order, yBuf } = this;
    const { rows, cols } = this.shape;
    const features = splits.features;
    shuffleInPlace(order, this.rng);
    // The heap view is taken afresh each epoch: a heap that grew since detaches the old one.
    const target = this.onHeap ? this.onHeap.view() : this.xBuf!;
    for (let i = 0; i < order.length; i++) {
      const src = order[i]!;
      if (this.augment) augmentImage(splits.train.x, src * features, target, i * features, rows, cols, config, this.augmentRng);
      else target.set(splits.train.x.subarray(src * features, (src + 1) * features), i * features);
      yBuf[i] = splits.train.y[src]!;
    }
    const xs = this.onHeap ? this.onHeap.tensor : tf.tensor4d(this.xBuf!, [order.length, rows, cols, 1]);
    const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(yBuf, 'int32'), this.shape.classes));
    return {
      xs,
      ys,
      release: () => {
        if (!this.onHeap) xs.dispose();
        ys.dispose();
      },
    };
  }
}

/** One epoch of `model.fit`, with its metrics under Keras' names. */
async function fitEpoch(model: tf.Sequential, feeder: EpochFeeder, epoch: number, config: TrainConfig, validation: [tf.Tensor, tf.Tensor]): Promise<Metrics> {
  const { xs, ys, release } = feeder.next();
  let history: tf.History;
  try {
    history = await model.fit(xs, ys, {
      epochs: epoch,
      initialEpoch: epoch - 1,
      batchSize: config.batch_size,
      shuffle: false,
      validationData: validation,
      verbose: 0,
      // Trials run in worker threads with no UI to keep responsive: tfjs's default pause every 125 ms is waste.
      yieldEvery: 'never',
    });
  } finally {
    release();
  }
  return renameMetrics(Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, Number(v[v.length - 1])])) as tf.Logs);
}

/**
 * What the model costs where it ends up: `params`, its trainable weights (Keras' "trainable params"), and
 * `model_bytes`, the bytes of every weight as saved (`weights.bin`: trainable and not, at their dtype's width).
 */
export function modelSize(model: tf.LayersModel): { params: number; model_bytes: number } {
  const count = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
  const bytes = model.weights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1) * (w.dtype === 'float32' || w.dtype === 'int32' ? 4 : 1), 0);
  return { params: count(model.trainableWeights), model_bytes: bytes };
}

/** Timed predictions after the warm-up ones: their median is the trial's `inference_ms`. */
const INFERENCE_WARMUP = 3;
const INFERENCE_RUNS = 15;

/**
 * The median milliseconds to predict one image (batch 1) on the trial's backend, after a warm-up (the first
 * calls compile and allocate): the latency a page serving the model one input at a time would see.
 */
export function inferenceMs(model: tf.LayersModel, images: tf.Tensor4D): number {
  const one = tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]);
  try {
    const times: number[] = [];
    for (let i = 0; i < INFERENCE_WARMUP + INFERENCE_RUNS; i++) {
      const started = performance.now();
      const y = model.predict(one) as tf.Tensor;
      y.dataSync();
      y.dispose();
      if (i >= INFERENCE_WARMUP) times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return times[(times.length - 1) >> 1]!;
  } finally {
    one.dispose();
  }
}

/** Saves the trained model with its metadata; a failed save is reported, not a failed training (tried twice). */
async function saveTrained(model: tf.Sequential, dir: string, metadata: ModelMetadata): Promise<{ modelPath: string | null; saveError?: TrainOutput['saveError'] }> {
  model.setUserDefinedMetadata({ tfsweep: metadata as unknown as {} });
  let saveError: TrainOutput['saveError'];
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await model.save(fileSystem(dir));
      return { modelPath: dir };
    } catch (err) {
      saveError = { message: err instanceof Error ? err.message : String(err), code: errnoCode(err) ?? null };
    }
  }
  return { modelPath: null, saveError };
}

export async function trainTrial(input: TrainInput): Promise<TrainOutput> {
  const { config, data } = input;
  const splits = cachedSplits(data.train, {
    trainSize: config.train_size,
    validationSplit: config.validation_split,
    sweepSeed: input.sweepSeed,
    normalization: config.normalization,
  });
  const { rows, cols } = data.train;
  const epochs: EpochRecord[] = [];
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  let model: tf.Sequential | undefined;
  let optimizer: tf.Optimizer | undefined;
  let bestWeights: tf.Tensor[] | null = null;
  try {
    const xVal = keep(tf.tensor4d(splits.validation.x, [splits.validation.count, rows, cols, 1]));
    const yVal = keep(tf.oneHot(keep(tf.tensor1d(splits.validation.y, 'int32')), data.classes));
    model = buildModel(config, { rows, cols, channels: 1, classes: data.classes }, input.trialSeed);
    optimizer = makeOptimizer(config);
    model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const feeder = new EpochFeeder(splits, config, input.trialSeed, { rows, cols, classes: data.classes }, keep);
    const schedule = new LrSchedule(config);
    const stopper = config.early_stopping ? new EarlyStopping(config) : null;
    let lr = config.learning_rate;
    let first = 1;
    if (input.resume) {
      // Everything the next epoch depends on, as it was after the checkpoint's epoch.
      const { state, data } = input.resume;
      const restored = await restoreTraining(model, optimizer, state, data);
      bestWeights = restored.best;
      feeder.restore(state.rng, restored.order);
      schedule.restore(state.schedule);
      if (stopper && state.stopper) stopper.restore(state.stopper);
      if (state.lr !== lr) setLearningRate(optimizer, (lr = state.lr));
      epochs.push(...state.epochs);
      first = state.epoch + 1;
    }

    for (let epoch = first; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const metrics = await fitEpoch(model, feeder, epoch, config, [xVal, yVal]);
      if (config.lr_schedule !== 'none') metrics.lr = lr;
      const record: EpochRecord = { epoch, metrics, durationMs: performance.now() - started, samples: splits.train.count };
      epochs.push(record);
      input.onEpoch?.(record);
      if (!Number.isFinite(metrics.loss)) throw new TrialError(`loss became ${metrics.loss} at epoch ${epoch}`);
      // tfjs clips predictions inside its cross-entropy, so diverged (NaN/∞) weights can still report a finite
      // loss; check the weights themselves, as Keras' TerminateOnNaN would see the loss.
      if (!weightsFinite(model)) throw new TrialError(`training diverged: weights became NaN or infinite at epoch ${epoch} (loss reported ${metrics.loss})`);
      // Stopped at the end of the epoch that was judged: no further epoch, no saved model.
      if (input.shouldPrune?.()) return { metrics, epochs, stoppedEpoch: epoch, bestEpoch: stopper?.bestEpoch ?? null, modelPath: null, pruned: true };
      if (stopper) {
        const { stop, best } = stopper.update(epoch, metrics);
        if (best && config.restore_best_weights) {
          if (bestWeights) tf.dispose(bestWeights);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
        if (stop) break;
      }
      const nextLr = schedule.next(lr, epoch, metrics);
      if (nextLr !== lr) setLearningRate(optimizer, (lr = nextLr));
      if (input.onCheckpoint && epoch < config.epochs) {
        const { rng, order } = feeder.snapshot();
        input.onCheckpoint(await captureTraining(model, optimizer, bestWeights, order, { epoch, lr, schedule: schedule.snapshot(), stopper: stopper?.snapshot() ?? null, epochs: [...epochs], rng }));
      }
    }
    let final = epochs[epochs.length - 1]!.metrics;
    if (stopper && config.restore_best_weights && bestWeights && stopper.bestEpoch !== null) {
      model.setWeights(bestWeights);
      final = epochs[stopper.bestEpoch - 1]!.metrics;
    }
    final = { ...final, ...modelSize(model), inference_ms: inferenceMs(model, xVal) };
    const saved = input.saveTo ? await saveTrained(model, input.saveTo, { normalization: splits.normalization, inputShape: [rows, cols, 1], classes: data.classes }) : { modelPath: null };
    return { metrics: final, epochs, stoppedEpoch: epochs.length, bestEpoch: stopper?.bestEpoch ?? null, ...saved };
  } finally {
    // The model owns its weights; an optimizer passed in as an object is not the model's to dispose.
    model?.dispose();
    disposeOptimizer(optimizer);
    if (bestWeights) tf.dispose(bestWeights);
    tf.dispose(owned);
  }
}

/**
 * Loss and accuracy of a saved model on an image set, inputs normalized as the model was trained (its
 * metadata). Used once per sweep, on the test split, for the chosen model.
 */
export async function evaluateSaved(dir: string, set: ImageSet, classes: number): Promise<Metrics> {
  const model = await tf.loadLayersModel(fileSystem(dir));
  try {
    const meta = (model.getUserDefinedMetadata() as { tfsweep?: ModelMetadata } | undefined)?.tfsweep;
    const norm = meta?.normalization ?? { offset: 0, scale: 255 };
    const x = Float32Array.from(set.images);
    applyNormalization(x, norm);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return tf.tidy(() => {
      const xs = tf.tensor4d(x, [set.count, set.rows, set.cols, 1]);
      const ys = tf.oneHot(tf.tensor1d(Int32Array.from(set.labels), 'int32'), classes);
      const [loss, acc] = model.evaluate(xs, ys, { batchSize: 256 }) as tf.Scalar[];
      return { loss: loss!.dataSync()[0]!, accuracy: acc!.dataSync()[0]! };
    });
  } finally {
    model.dispose();
  }
}
