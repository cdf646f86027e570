import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, Pad, WasmBackend } from './compose.js';

/**
 * MaxPoolGrad in one pass over the input, channels innermost (contiguous in NHWC): each output's gradient goes
 * to the first maximum of its window, as the cpu backend does (ties after a ReLU are common: the first wins).
 * The stock wasm kernel walks the tensor in an order that misses the cache.
 */
export function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as {
    filterSize: [number, number] | number;
    strides: [number, number] | number;
    pad: Pad;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad as never, dimRoundingMode);
  const wasm = backend as WasmBackend;
  const out = wasm.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation: a heap that grows detaches older ones.
  const x = wasm.typedArrayFromHeap(input);
  const g = wasm.typedArrayFromHeap(dy);
  const dx = wasm.typedArrayFromHeap(out);
  dx.fill(0);
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, effectiveFilterHeight: efh, effectiveFilterWidth: efw } = info;
  const { top, left } = info.padInfo;
  // The usual Keras pooling (2×2, stride 2, no padding): windows tile the input, no bounds to check, and each
  // input receives from at most one output.
  if (info.filterHeight === 2 && info.filterWidth === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && top === 0 && left === 0 && OH * 2 <= H && OW * 2 <= W) {
    const rowStep = W * C;
    for (let n = 0; n < batchSize; n++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const b00 = ((n * H + 2 * oh) * W + 2 * ow) * C;
          const gBase = ((n * OH + oh) * OW + ow) * C;
          for (let ch = 0; ch < C; ch++) {
            const i00 = b00 + ch;
            const i01 = i00 + C;
            const i10 = i00 + rowStep;
            const i11 = i10 + C;
            let at = i00;
            let m = x[i00]!;
            if (x[i01]! > m) {
              m = x[i01]!;
              at = i01;
            }
            if (x[i10]! > m) {
              m = x[i10]!;
              at = i10;
            }
            if (x[i11]! > m) at = i11;
            dx[at] = g[gBase + ch]!;
          }
        }
      }
    }
    return out;
  }
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

