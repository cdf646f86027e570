/**
 * Identity without a copy, as the cpu backend does it: the output shares the input's memory (reference
 * counted). tfjs calls Identity for every tensor its gradient tape keeps (each layer's activations and weights,
 * every step), and the stock wasm kernel copied each one: 1.5 ms of a 17 ms CNN step. Sharing is safe because
 * no wasm kernel writes its inputs; tfsweep's two writers in place (FusedAdam's moments, the epoch's input
 * tensor) check that nothing shares the memory they write (`shared`), and take a fresh buffer if something does.
 */
import type * as tf from '@tensorflow/tfjs';
import { stockKernel, type KernelArgs } from './compose.js';

interface RefCounted {
  incRef(dataId: object): void;
  refCount(dataId: object): number;
}

export function identity(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return stockKernel('Identity')(args) as tf.TensorInfo;
  (args.backend as RefCounted).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Whether another tensor shares `t`'s memory (an Identity of it is alive): then it must not be written in place. */
export function shared(backend: unknown, t: tf.TensorInfo): boolean {
  return (backend as RefCounted).refCount(t.dataId) > 1;
}
