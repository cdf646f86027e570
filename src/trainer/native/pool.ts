/**
 * MaxPool and MaxPoolGrad on the native addon for the usual Keras pooling (2×2 windows, stride 2, no padding,
 * NHWC float32): eight channels at a time. Any other pooling goes to the kernel it replaced.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelFunc, WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import { poolInfo } from '../wasm/pool.js';
import type { NativeAddon } from './addon.js';

/** The pooling's geometry when it is 2×2 with stride 2 and no padding, else null. */
function twoByTwo(input: tf.TensorInfo, attrs: KernelArgs['attrs']): tf.backend_util.Conv2DInfo | null {
  if (input.dtype !== 'float32' || input.shape.length !== 4) return null;
  const info = poolInfo(input, attrs);
  const plain = info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2 && info.dilationHeight === 1 && info.dilationWidth === 1;
  const fits = info.padInfo.top === 0 && info.padInfo.left === 0 && info.outHeight * 2 <= info.inHeight && info.outWidth * 2 <= info.inWidth;
  return plain && fits && info.outHeight > 0 && info.outWidth > 0 && info.batchSize > 0 && info.inChannels > 0 ? info : null;
}

function pool(addon: NativeAddon, backend: WasmBackend & WasmBackendInternals, mode: 0 | 1, info: tf.backend_util.Conv2DInfo, x: tf.TensorInfo, dy: tf.TensorInfo | null, outShape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const { memory, at } = heapView(backend);
  addon.pool2x2(memory, mode, at(x), at(dy), at(out), info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth);
  return out;
}

/** MaxPool over `fallback`. */
export function nativeMaxPool(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const info = twoByTwo(x, args.attrs);
    if (!info) return fallback(args);
    return pool(addon, args.backend as WasmBackend & WasmBackendInternals, 0, info, x, null, info.outShape);
  };
}

/** MaxPoolGrad over `fallback`: the gradient at each window's first maximum, as the cpu backend does. */
export function nativeMaxPoolGrad(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const info = twoByTwo(input, args.attrs);
    if (!info || dy.dtype !== 'float32') return fallback(args);
    return pool(addon, args.backend as WasmBackend & WasmBackendInternals, 1, info, input, dy, input.shape);
  };
}
