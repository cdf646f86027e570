/**
 * A training's checkpoint after an epoch: everything the next epoch depends on, so that a trial resumed from
 * it (on any machine) trains exactly as it would have without the interruption. The tensors (the model's
 * weights, the optimizer's state with Adam's moments, early stopping's best weights) and the data order go
 * in one byte buffer; the rest (where the random streams are, the schedules, the epochs so far) in JSON.
 */
import * as tf from '@tensorflow/tfjs';
import type { EpochRecord } from '../core/records.js';
import { DROPOUT_STEPS } from './dropout.js';

interface TensorEntry {
  group: 'model' | 'optimizer' | 'best';
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset and element count in the buffer. */
  offset: number;
  length: number;
}

/** The JSON half of a checkpoint (the tensors' bytes are the other). */
export interface TrainerState {
  /** Epochs done: the next to train is epoch + 1. */
  epoch: number;
  lr: number;
  schedule: { best: number | null; wait: number };
  stopper: { bestEpoch: number | null; bestValue: number | null; wait: number } | null;
  epochs: EpochRecord[];
  /** The positions of the shuffle and augmentation streams. */
  rng: { shuffle: number; augment: number };
  /** Masks drawn so far by each seeded dropout layer, in the model's layer order. */
  dropout: number[];
  /** Adam's β₁ᵗ and β₂ᵗ as float32 products (tfjs' setWeights would recompute them as powers). */
  accBeta?: [number, number];
  tensors: TensorEntry[];
  order: { offset: number; length: number };
}

export interface Captured {
  state: TrainerState;
  data: ArrayBuffer;
}

type Moments = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

/** Reads what the next epoch needs into a checkpoint. */
export async function captureTraining(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  best: readonly tf.Tensor[] | null,
  order: Int32Array,
  rest: Omit<TrainerState, 'tensors' | 'order' | 'dropout' | 'accBeta'>,
): Promise<Captured> {
  const named = await optimizer.getWeights();
  try {
    const parts: Array<{ entry: Omit<TensorEntry, 'offset' | 'length'>; values: Float32Array | Int32Array }> = [];
    const add = (group: TensorEntry['group'], name: string, t: tf.Tensor) =>
      parts.push({ entry: { group, name, shape: t.shape, dtype: t.dtype === 'int32' ? 'int32' : 'float32' }, values: t.dataSync() as Float32Array | Int32Array });
    model.getWeights().forEach((w, i) => add('model', String(i), w));
    for (const n of named) add('optimizer', n.name, n.tensor);
    best?.forEach((w, i) => add('best', String(i), w));
    const total = parts.reduce((n, p) => n + p.values.length, 0) + order.length;
    const data = new ArrayBuffer(total * 4);
    const tensors: TensorEntry[] = [];
    let offset = 0;
    for (const p of parts) {
      (p.entry.dtype === 'int32' ? new Int32Array(data, offset, p.values.length) : new Float32Array(data, offset, p.values.length)).set(p.values);
      tensors.push({ ...p.entry, offset, length: p.values.length });
      offset += p.values.length * 4;
    }
    new Int32Array(data, offset, order.length).set(order);
    const moments = optimizer as unknown as Moments;
    return {
      state: {
        ...rest,
        dropout: model.layers.filter((l) => DROPOUT_STEPS in l).map((l) => (l as unknown as Record<string, number>)[DROPOUT_STEPS]!),
        ...(moments.accBeta1 && moments.accBeta2 ? { accBeta: [moments.accBeta1.dataSync()[0]!, moments.accBeta2.dataSync()[0]!] as [number, number] } : {}),
        tensors,
        order: { offset, length: order.length },
      },
      data,
    };
  } finally {
    // getWeights makes a scalar of the iteration count for the caller; the state variables stay the optimizer's.
    for (const n of named) if (n.name === 'iter') n.tensor.dispose();
  }
}

/** Puts a checkpoint back into a freshly built model and optimizer; returns the best weights (if kept) and the data order. */
export async function restoreTraining(model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainerState, data: ArrayBuffer | Uint8Array): Promise<{ best: tf.Tensor[] | null; order: Int32Array }> {
  // A copy with 4-byte alignment, whatever buffer (a Node Buffer from a database driver) holds the bytes.
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  const buffer = bytes.slice().buffer;
  const tensorOf = (e: TensorEntry): tf.Tensor =>
    tf.tensor(e.dtype === 'int32' ? new Int32Array(buffer, e.offset, e.length) : new Float32Array(buffer, e.offset, e.length), e.shape, e.dtype);
  const of = (group: TensorEntry['group']) => state.tensors.filter((e) => e.group === group);
  const weights = of('model').map(tensorOf);
  model.setWeights(weights);
  tf.dispose(weights);
  const named = of('optimizer').map((e) => ({ name: e.name, tensor: tensorOf(e) }));
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  const moments = optimizer as unknown as Moments;
  if (state.accBeta && moments.accBeta1 && moments.accBeta2) {
    const [b1, b2] = state.accBeta;
    tf.tidy(() => {
      moments.accBeta1!.assign(tf.scalar(b1));
      moments.accBeta2!.assign(tf.scalar(b2));
    });
  }
  const dropouts = model.layers.filter((l) => DROPOUT_STEPS in l);
  dropouts.forEach((l, i) => ((l as unknown as Record<string, number>)[DROPOUT_STEPS] = state.dropout[i] ?? 0));
  const best = of('best');
  return {
    best: best.length ? best.map(tensorOf) : null,
    order: new Int32Array(buffer.slice(state.order.offset, state.order.offset + state.order.length * 4)),
  };
}
