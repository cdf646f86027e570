/**
 * Kernels for tfjs' WebAssembly backend, registered over (or beside) the stock ones when the wasm backend is
 * used. Each is composed from wasm kernels that are fast, and checked against the cpu backend in tests.
 *
 * - Conv2DBackpropFilter is missing on wasm, so no CNN could train: composed from Transpose, Conv2D, Slice;
 *   for few input channels, one matmul of the input's patches (written on the heap) by the output gradient.
 * - BatchMatMul and _FusedMatMul: wasm sends a matmul to XNNPACK only when neither input is transposed; the
 *   backward pass of every dense layer (x^T·dy, dy·W^T) fell to a scalar loop ~10× slower. A Transpose (cheap)
 *   first, then the fast path.
 * - MaxPoolGrad: one cache-friendly pass in JS over the wasm heap.
 * - GatherV2 along axis 0 (model.fit's batches): one row copy per index instead of element by element.
 * - Conv2DBackpropInput: the input gradient is a plain convolution of the output gradient (dilated by the
 *   stride, padded to "full") with the filter flipped in space and its channels swapped — XNNPACK's conv,
 *   instead of the stock scalar loop.
 */
import * as tf from '@tensorflow/tfjs';

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type KernelFunc = (params: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];
type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The attributes both convolution gradients carry (the filter's shape for one, the input's for the other). */
interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  inputShape: [number, number, number, number];
}

const single = (out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => (Array.isArray(out) ? out[0]! : out);

/** Whether tfsweep's kernels are in use (set by registerWasmKernels); the added filter gradient follows it. */
let fastKernels = true;

/** The stock wasm kernels, captured before anything is registered over them. */
const stock = new Map<string, tf.KernelConfig>();

function stockKernel(name: string): KernelFunc {
  const config = stock.get(name) ?? tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as KernelFunc;
}

/** Runs stock kernels and frees their intermediates when done. */
class Composer {
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

/**
 * The filter gradient of an NHWC convolution is itself a convolution — of the input with channels as batch,
 * by the output gradient with batch as channels — where the forward stride becomes the dilation, the forward
 * padding is passed explicitly, and the result is cropped to the filter size. (Measured here: faster than one
 * matmul per filter position, whose slices cost more than the convolution.)
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as ConvGradAttrs;
  if (dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const [fh, fw, cin, cout] = filterShape;
  if (fastKernels && cin <= 4) return filterGradByMatMul(x, dy, info, backend);
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
  const patches = wasm.makeOutput([fh * fw * cin, m], 'float32');
  const src = wasm.typedArrayFromHeap(x);
  const pt = wasm.typedArrayFromHeap(patches);
  let o = 0;
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      for (let ci = 0; ci < cin; ci++) {
        for (let b = 0; b < n; b++) {
          for (let oh = 0; oh < OH; oh++) {
            const h = oh * sh + kh - top;
            if (h < 0 || h >= H) {
              pt.fill(0, o, o + OW);
              o += OW;
              continue;
            }
            const base = (b * H + h) * W * cin + ci;
            for (let ow = 0; ow < OW; ow++) {
              const w = ow * sw + kw - left;
              pt[o++] = w >= 0 && w < W ? src[base + w * cin]! : 0;
            }
          }
        }
      }
    }
  }
  c.adopt(patches);
  const rows = c.run('Reshape', { x: dy }, { shape: [m, cout] });
  const grad = c.run('BatchMatMul', { a: patches, b: rows }, { transposeA: false, transposeB: false }); // [fh·fw·Cin, Cout]
  return c.finish(c.run('Reshape', { x: grad }, { shape: [fh, fw, cin, cout] }));
}

/** The wasm backend's own API for a kernel written in JS over its heap, as its stock Fill kernel does. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of the tensor's memory, typed by its dtype (Float32Array, Int32Array or Uint8Array). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * MaxPoolGrad in one pass over the input, channels innermost (contiguous in NHWC): each output's gradient goes
 * to the first maximum of its window, as the cpu backend does (ties after a ReLU are common: the first wins).
 * The stock wasm kernel walks the tensor in an order that misses the cache.
 */
function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
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

/** The permutation that swaps the last two axes. */
function swapLast(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

/** A matmul kernel that transposes its inputs itself, so the stock kernel always takes XNNPACK's path. */
function untransposed(name: 'BatchMatMul' | '_FusedMatMul'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return stockKernel(name)({ inputs, backend, attrs });
    const c = new Composer(backend);
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const a2 = transposeA ? c.run('Transpose', { x: a }, { perm: swapLast(a.shape.length) }) : a;
    const b2 = transposeB ? c.run('Transpose', { x: b }, { perm: swapLast(b.shape.length) }) : b;
    return c.finish(c.run(name, { ...inputs, a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }));
  };
}

function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
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

/**
 * GatherV2 along axis 0 (how model.fit cuts every batch out of the epoch's tensors) as one row copy per index
 * on the wasm heap. The stock kernel copies element by element: at batch 128 it took 45% of an MLP's step.
 * Other axes, batch dims and out-of-range indices go to the stock kernel.
 */
function gatherV2(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const { axis, batchDims } = attrs as { axis: number; batchDims: number };
  const fallback = (): tf.TensorInfo | tf.TensorInfo[] => stockKernel('GatherV2')(args);
  const rank = x.shape.length;
  if (batchDims || rank === 0 || (axis !== 0 && axis !== -rank) || x.dtype === 'string' || indices.dtype !== 'int32') return fallback();
  const wasm = backend as WasmBackend;
  const rows = x.shape[0]!;
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const count = indices.shape.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const idx = wasm.typedArrayFromHeap(indices) as unknown as Int32Array;
  for (let i = 0; i < count; i++) {
    if (idx[i]! < 0 || idx[i]! >= rows) {
      (backend as { disposeData(id: unknown): void }).disposeData(out.dataId);
      return fallback(); // says which index is out of range
    }
  }
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  for (let i = 0; i < count; i++) {
    const from = idx[i]! * row;
    dst.set(src.subarray(from, from + row), i * row);
  }
  return out;
}

const FAST: Record<string, KernelFunc> = {
  GatherV2: gatherV2,
  BatchMatMul: untransposed('BatchMatMul'),
  _FusedMatMul: untransposed('_FusedMatMul'),
  Conv2DBackpropInput: conv2DBackpropInput,
  MaxPoolGrad: maxPoolGrad,
};

/** The kernels tfsweep registers over stock wasm ones. */
export const FAST_KERNELS: readonly string[] = Object.keys(FAST);

/** Whether the wasm kernel registered under `name` now is tfsweep's. */
export function isFastKernel(name: string): boolean {
  return tf.getKernel(name, 'wasm')?.kernelFunc === (FAST[name] as unknown);
}

function register(name: string, kernelFunc: KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as never });
}

/**
 * Registers the missing kernels on the wasm backend, and tfsweep's faster kernels over the stock ones
 * (`fast: false` puts the stock ones back: the benchmark compares both in one process). Call after
 * `tf.setBackend('wasm')`: the stock kernels' setup has run by then.
 */
export function registerWasmKernels(options: { fast?: boolean } = {}): void {
  const fast = options.fast ?? process.env.TFSWEEP_STOCK_KERNELS !== '1';
  fastKernels = fast;
  for (const name of Object.keys(FAST)) {
    if (!stock.has(name)) {
      const config = tf.getKernel(name, 'wasm');
      if (config) stock.set(name, config);
    }
  }
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) register('Conv2DBackpropFilter', conv2DBackpropFilter);
  for (const [name, kernelFunc] of Object.entries(FAST)) {
    const original = stock.get(name);
    if (!original) continue;
    register(name, fast ? kernelFunc : (original.kernelFunc as KernelFunc));
  }
}
