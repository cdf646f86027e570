import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, Pad, WasmBackend } from './compose.js';
import { heapOffset, nativeKernels, type WasmBackendInternals } from './native.js';

/** The geometry of the pooling whose gradient a MaxPoolGrad or AvgPoolGrad kernel computes. */
export function poolInfo(input: tf.TensorInfo, attrs: KernelArgs['attrs']): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: Pad;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  return tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad as never, dimRoundingMode);
}

/**
 * MaxPoolGrad in one pass over the input, channels innermost (contiguous in NHWC): each output's gradient goes
 * to the first maximum of its window, as the cpu backend does (ties after a ReLU are common: the first wins).
 * The stock wasm kernel walks the tensor in an order that misses the cache. Views of the heap are taken after
 * the output's allocation: a heap that grows detaches older ones.
 */
export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input, attrs);
  const wasm = backend as WasmBackend;
  const out = wasm.makeOutput(input.shape, 'float32');
  const native = backend as WasmBackendInternals;
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, effectiveFilterHeight: efh, effectiveFilterWidth: efw } = info;
  const { top, left } = info.padInfo;
  // The usual Keras pooling (2×2, stride 2, no padding): windows tile the input, no bounds to check, each input
  // receives from at most one output; native code, four channels at a time.
  if (info.filterHeight === 2 && info.filterWidth === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && top === 0 && left === 0 && OH * 2 <= H && OW * 2 <= W) {
    const at = (t: tf.TensorInfo): number => heapOffset(native, t.dataId);
    nativeKernels(native).max_pool_grad_2x2(at(input), at(dy), at(out), batchSize, H, W, C, OH, OW);
    return out;
  }
  const x = wasm.typedArrayFromHeap(input);
  const g = wasm.typedArrayFromHeap(dy);
  const dx = wasm.typedArrayFromHeap(out);
  dx.fill(0);
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - top;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * sw - left;
        best.fill(-Infinity);
        at.fill(-1);
        for (let kh = 0; kh < efh; kh += dh) {
          const h = h0 + kh;
          if (h < 0 || h >= H) continue;
          for (let kw = 0; kw < efw; kw += dw) {
            const w = w0 + kw;
            if (w < 0 || w >= W) continue;
            const base = ((n * H + h) * W + w) * C;
            for (let ch = 0; ch < C; ch++) {
              const v = x[base + ch]!;
              if (v > best[ch]!) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        const gBase = ((n * OH + oh) * OW + ow) * C;
        for (let ch = 0; ch < C; ch++) {
          const i = at[ch]!;
          if (i >= 0) dx[i] = dx[i]! + g[gBase + ch]!;
        }
      }
    }
  }
  return out;
}

/**
 * AvgPoolGrad in native code: each output's gradient spread over its window, four channels at a time (the
 * stock wasm kernel loops element by element: 11 ms against under 1 for a 64×28×28×16 input). Scaled by
 * 1 / (window height × width) everywhere, as tfjs' cpu and wasm kernels do, windows over padding included.
 */
export function avgPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const info = poolInfo(input, attrs);
  const wasm = backend as WasmBackend & WasmBackendInternals;
  const out = wasm.makeOutput(input.shape, 'float32');
  const at = (t: tf.TensorInfo): number => heapOffset(wasm, t.dataId);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  nativeKernels(wasm).avg_pool_grad(at(dy), at(out), batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth, info.padInfo.top, info.padInfo.left, 1 / (filterHeight * filterWidth));
  return out;
}
