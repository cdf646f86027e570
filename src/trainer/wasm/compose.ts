/**
 * What tfsweep's wasm kernels share: the stock kernels they are composed from (captured before anything is
 * registered over them), a helper that frees intermediates, and the wasm backend's heap API.
 */
import * as tf from '@tensorflow/tfjs';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
export type KernelFunc = (params: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
export type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The attributes both convolution gradients carry (the filter's shape for one, the input's for the other). */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  inputShape: [number, number, number, number];
}

export const single = (out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => (Array.isArray(out) ? out[0]! : out);

let fastKernels = true;
let nativeKernels = false;

/** Whether tfsweep's kernels are in use (set by registerWasmKernels); the added filter gradient follows it. */
export function fastKernelsOn(): boolean {
  return fastKernels;
}

/**
 * Whether tfsweep's native kernels are in use on the current backend: what its kernels reached other than by
 * a kernel name (a ReLU's gradient, the fused optimizers, dropout masks) check before running one.
 */
export function nativeKernelsOn(): boolean {
  return nativeKernels && fastKernels && tf.getBackend() === 'wasm';
}

export function setFastKernels(on: boolean, native = false): void {
  fastKernels = on;
  nativeKernels = on && native;
}

/** The stock wasm kernels, captured before anything is registered over them. */
export const stock = new Map<string, tf.KernelConfig>();

export function stockKernel(name: string): KernelFunc {
  const config = stock.get(name) ?? tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as KernelFunc;
}

/** Runs stock kernels and frees their intermediates when done. */
export class Composer {
  private readonly temps: tf.TensorInfo[] = [];
  constructor(private readonly backend: unknown) {}

  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const out = single(stockKernel(name)({ inputs, backend: this.backend, attrs }));
    this.temps.push(out);
    return out;
  }

  /** Frees `t` with the intermediates (a tensor the kernel made itself). */
  adopt(t: tf.TensorInfo): void {
    this.temps.push(t);
  }

  /** The last result is the kernel's output; everything before it is freed. */
  finish(out: tf.TensorInfo): tf.TensorInfo {
    const backend = this.backend as { disposeData(id: unknown): void };
    for (const t of this.temps) if (t !== out) backend.disposeData(t.dataId);
    return out;
  }
}

/** The wasm backend's own API for a kernel written in JS over its heap, as its stock Fill kernel does. */
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of the tensor's memory, typed by its dtype (Float32Array, Int32Array or Uint8Array). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}


/**
 * A float32 tensor of `shape` owned by the caller, and a view of its memory to write into, when the backend is
 * wasm; null elsewhere. Only for a tensor nothing else references (no clone, no assign).
 */
export function epochTensorOnHeap(shape: number[]): { tensor: tf.Tensor; view: () => Float32Array } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const tensor = tf.zeros(shape, 'float32');
  const backend = tf.backend() as unknown as WasmBackend & { refCount(dataId: object): number };
  return {
    tensor,
    view: () => {
      // Written in place each epoch: a tensor still sharing its memory (an Identity of it) would change too.
      if (backend.refCount(tensor.dataId) > 1) throw new Error('the epoch tensor is shared by another tensor and cannot be rewritten');
      return backend.typedArrayFromHeap(tensor);
    },
  };
}
