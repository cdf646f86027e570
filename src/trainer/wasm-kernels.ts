/**
 * Kernels for tfjs' WebAssembly backend, registered over (or beside) the stock ones when the wasm backend is
 * used. Each is composed from wasm kernels that are fast, and checked against the cpu backend in tests.
 *
 * - Conv2DBackpropFilter is missing on wasm, so no CNN could train: native code (native/kernels.c) when the
 *   output channels are a multiple of 4, else composed (Transpose, Conv2D, Slice, or for few input channels
 *   one matmul of the input's patches by the output gradient).
 * - BatchMatMul and _FusedMatMul: wasm sends a matmul to XNNPACK only when neither input is transposed; the
 *   backward pass of every dense layer (x^T·dy, dy·W^T) fell to a scalar loop ~10× slower. A Transpose (cheap)
 *   first, then the fast path.
 * - MaxPoolGrad: one cache-friendly pass over the wasm heap (native code for 2×2 windows with stride 2).
 * - AvgPoolGrad: native code, four channels at a time, instead of an element-by-element loop.
 * - Sum over leading axes (bias gradients): one pass of native code instead of a transpose and a sum.
 * - Add of a bias vector along the last axis: one pass of native code instead of general broadcasting.
 * - GatherV2 along axis 0 (model.fit's batches): one row copy per index instead of element by element.
 * - TfsweepAdam (new): one Adam step per weight tensor in one pass of native wasm code (see wasm/adam.ts).
 * - Conv2DBackpropInput: the input gradient is a plain convolution of the output gradient (dilated by the
 *   stride, padded to "full") with the filter flipped in space and its channels swapped — XNNPACK's conv,
 *   instead of the stock scalar loop.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM, fusedAdam } from './wasm/adam.js';
import { setFastKernels, stock, type KernelFunc } from './wasm/compose.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './wasm/conv.js';
import { gatherV2 } from './wasm/gather.js';
import { untransposed } from './wasm/matmul.js';
import { avgPoolGrad, maxPoolGrad } from './wasm/pool.js';
import { add, sum } from './wasm/reduce.js';

const FAST: Record<string, KernelFunc> = {
  GatherV2: gatherV2,
  BatchMatMul: untransposed('BatchMatMul'),
  _FusedMatMul: untransposed('_FusedMatMul'),
  Conv2DBackpropInput: conv2DBackpropInput,
  MaxPoolGrad: maxPoolGrad,
  AvgPoolGrad: avgPoolGrad,
  Sum: sum,
  Add: add,
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
  setFastKernels(fast);
  for (const name of Object.keys(FAST)) {
    if (!stock.has(name)) {
      const config = tf.getKernel(name, 'wasm');
      if (config) stock.set(name, config);
    }
  }
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) register('Conv2DBackpropFilter', conv2DBackpropFilter);
  // tfsweep's own kernels, used only while its kernels are on (FusedAdam falls back to tfjs' Adam otherwise).
  if (!tf.getKernel(FUSED_ADAM, 'wasm')) register(FUSED_ADAM, fusedAdam);
  for (const [name, kernelFunc] of Object.entries(FAST)) {
    const original = stock.get(name);
    if (!original) continue;
    register(name, fast ? kernelFunc : (original.kernelFunc as KernelFunc));
  }
}
