/** The two gradients of a convolution on wasm: for the filter (missing on wasm) and for the input. */
import * as tf from '@tensorflow/tfjs';
import { Composer, fastKernelsOn, stockKernel, type ConvGradAttrs, type KernelArgs, type WasmBackend } from './compose.js';
import { heapOffset, nativeKernels, type WasmBackendInternals } from './native.js';

/**
 * The filter gradient of an NHWC convolution is itself a convolution — of the input with channels as batch,
 * by the output gradient with batch as channels — where the forward stride becomes the dilation, the forward
 * padding is passed explicitly, and the result is cropped to the filter size. (Measured here: faster than one
 * matmul per filter position, whose slices cost more than the convolution.)
 */
export function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as ConvGradAttrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [fh, fw, cin, cout] = filterShape;
  // Native code, four output channels at a time: 1.7–3.8× faster than the two ways below on every shape
  // measured (16→32 at 14×14, batch 64: 3.8 ms against 7.5; 1→16 at 28×28: 0.6 ms against 2.3).
  if (fastKernelsOn() && cout % 4 === 0) return filterGradNative(x, dy, info, backend);
  // With more input channels the matmul loses to the convolution (16→32 at 14×14: 13.6 ms against 7.2).
  if (fastKernelsOn() && cin <= 4) return filterGradByMatMul(x, dy, info, backend);
  const { top, bottom, left, right } = info.padInfo;
  const c = new Composer(backend);
  const xT = c.run('Transpose', { x }, { perm: [3, 1, 2, 0] }); // [Cin, H, W, N]
  const dyT = c.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, N, Cout]
  const full = c.run(
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]] as never, dataFormat: 'NHWC', dilations: [info.strideHeight, info.strideWidth] },
  ); // [Cin, ≥fh, ≥fw, Cout]
  const cropped = c.run('Slice', { x: full }, { begin: [0, 0, 0, 0], size: [cin, fh, fw, cout] });
  return c.finish(c.run('Transpose', { x: cropped }, { perm: [1, 2, 0, 3] })); // [fh, fw, Cin, Cout]
}

/** The filter gradient in native code (native/kernels.c), straight from x and dy on the heap. */
function filterGradNative(x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, backend: unknown): tf.TensorInfo {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin, outHeight: OH, outWidth: OW, outChannels: cout } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const wasm = backend as WasmBackend & WasmBackendInternals;
  const out = wasm.makeOutput([fh, fw, cin, cout], 'float32');
  const at = (t: tf.TensorInfo): number => heapOffset(wasm, t.dataId);
  nativeKernels(wasm).conv_filter_grad(at(x), at(dy), at(out), n, H, W, cin, OH, OW, cout, fh, fw, sh, sw, info.padInfo.top, info.padInfo.left);
  return out;
}

/**
 * The filter gradient of a convolution with few input channels (the first layer of an image model): one
 * matmul, dW[k, co] = Σ_m P[k, m] · dy[m, co], with P the input's patches written already transposed (a row per
 * filter tap and channel, in the filter's own order) in one pass over the wasm heap; dy needs no copy. The
 * convolution above spends most of its time packing dy as a 28×28 filter here (6.6 ms against ~1.5 ms).
 */
function filterGradByMatMul(x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, backend: unknown): tf.TensorInfo {
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: cin, outHeight: OH, outWidth: OW, outChannels: cout } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const m = n * OH * OW;
  const wasm = backend as WasmBackend;
  const c = new Composer(backend);
  // Channels first ([Cin, N, H, W]) so that every patch row is read along W, contiguously.
  const planes = cin === 1 ? x : c.run('Transpose', { x }, { perm: [3, 0, 1, 2] });
  const patches = wasm.makeOutput([fh * fw * cin, m], 'float32');
  c.adopt(patches);
  // Views after the last allocation: a heap that grows detaches older ones.
  const src = wasm.typedArrayFromHeap(planes);
  const pt = wasm.typedArrayFromHeap(patches);
  let o = 0;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const w0 = kw - left;
      // The output columns whose input column lies inside the image (stride 1: one contiguous run).
      const lo = Math.min(OW, Math.max(0, Math.ceil(-w0 / sw)));
      const hi = Math.max(lo, Math.min(OW, Math.floor((W - 1 - w0) / sw) + 1));
      for (let ci = 0; ci < cin; ci++) {
        for (let b = 0; b < n; b++) {
          for (let oh = 0; oh < OH; oh++) {
            const h = oh * sh + kh - top;
            if (h < 0 || h >= H) {
              pt.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const base = ((ci * n + b) * H + h) * W + w0;
            if (lo > 0) pt.fill(0, o, o + lo);
            if (sw === 1) pt.set(src.subarray(base + lo, base + hi), o + lo);
            else for (let ow = lo; ow < hi; ow++) pt[o + ow] = src[base + ow * sw]!;
            if (hi < OW) pt.fill(0, o + hi, o + OW);
            o += OW;
          }
        }
      }
    }
  }
  const rows = c.run('Reshape', { x: dy }, { shape: [m, cout] });
  const grad = c.run('BatchMatMul', { a: patches, b: rows }, { transposeA: false, transposeB: false }); // [fh·fw·Cin, Cout]
  return c.finish(c.run('Reshape', { x: grad }, { shape: [fh, fw, cin, cout] }));
}

export function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as ConvGradAttrs;
  const fallback = (): tf.TensorInfo | tf.TensorInfo[] => stockKernel('Conv2DBackpropInput')(args);
  if (dataFormat === 'NCHW') return fallback();
  const [fh, fw, cin] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const [n, h, w] = inputShape;
  const cout = dy.shape[3]!;
  // dx = correlation of dy (zeros inserted between its rows and columns for a stride) padded to "full", with
  // the flipped filter: the padding that makes the output exactly the forward input's size.
  const padTop = fh - 1 - info.padInfo.top;
  const padLeft = fw - 1 - info.padInfo.left;
  const padBottom = h - (oh - 1) * sh - 1 + info.padInfo.top;
  const padRight = w - (ow - 1) * sw - 1 + info.padInfo.left;
  if (Math.min(padTop, padLeft, padBottom, padRight) < 0) return fallback();
  const c = new Composer(backend);
  let spread = dy;
  if (sh > 1 || sw > 1) {
    const six = c.run('Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, cout] });
    const padded = c.run('PadV2', { x: six }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]] as never, constantValue: 0 });
    const flat = c.run('Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, cout] });
    spread = c.run('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, cout] });
  }
  const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = c.run('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] }); // [fh, fw, Cout, Cin]
  const dx = c.run(
    'Conv2D',
    { x: spread, filter: swapped },
    { strides: [1, 1], pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]] as never, dataFormat: 'NHWC', dilations: [1, 1] },
  );
  if (dx.shape[3] !== cin) throw new Error(`Conv2DBackpropInput: expected ${cin} channels, got ${dx.shape[3]}`);
  return c.finish(dx);
}

