/** Element-wise kernels over a channel axis: sums over the leading axes, a bias added along the last. */
import * as tf from '@tensorflow/tfjs';
import { stockKernel, type KernelArgs, type WasmBackend } from './compose.js';
import { heapOffset, nativeKernels, type WasmBackendInternals } from './native.js';

/**
 * Sum over a float32 tensor's leading axes (every bias gradient: dy summed over batch and space) in one pass
 * of native code; the stock kernel first transposes the whole tensor to bring those axes innermost. Any other
 * sum goes to the stock kernel.
 */
export function sum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const plan = leadingSum(x, attrs);
  if (!plan) return stockKernel('Sum')({ inputs, backend, attrs }) as tf.TensorInfo;
  const wasm = backend as WasmBackend & WasmBackendInternals;
  const out = wasm.makeOutput(plan.outShape, 'float32');
  nativeKernels(wasm).sum_rows(heapOffset(wasm, x.dataId), heapOffset(wasm, out.dataId), plan.rows, plan.cols);
  return out;
}

/** A Sum over a non-empty float32 tensor's leading axes, as rows summed into one of `cols` values; else null. */
export function leadingSum(x: tf.TensorInfo, attrs: KernelArgs['attrs']): { outShape: number[]; rows: number; cols: number } | null {
  const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  const size = tf.util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || !leading || size === 0) return null;
  const kept = x.shape.slice(axes.length);
  const cols = tf.util.sizeFromShape(kept);
  return { outShape: keepDims ? [...axes.map(() => 1), ...kept] : kept, rows: size / cols, cols };
}

/**
 * Add where the second input is a float32 vector along the first's last axis (a layer's bias, added at every
 * position: the forward pass of a convolution whose gradient is recorded adds it apart from the conv), in one
 * pass of native code; the stock kernel's general broadcasting is ~4× slower. Anything else: the stock kernel.
 */
export function add({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const cols = biasColumns(a, b);
  if (!cols) return stockKernel('Add')({ inputs, backend, attrs }) as tf.TensorInfo;
  const wasm = backend as WasmBackend & WasmBackendInternals;
  const out = wasm.makeOutput(a.shape, 'float32');
  const at = (t: tf.TensorInfo): number => heapOffset(wasm, t.dataId);
  nativeKernels(wasm).add_bias(at(a), at(b), at(out), tf.util.sizeFromShape(a.shape) / cols, cols);
  return out;
}

/** How many values the bias `b` adds along `a`'s last axis (both float32, `a` non-empty), or 0 if it is not one. */
export function biasColumns(a: tf.TensorInfo, b: tf.TensorInfo): number {
  const cols = b.shape[0] ?? 0;
  const bias = a.dtype === 'float32' && b.dtype === 'float32' && b.shape.length === 1 && a.shape.length >= 2 && a.shape[a.shape.length - 1] === cols && cols > 0;
  return bias && tf.util.sizeFromShape(a.shape) > 0 ? cols : 0;
}
