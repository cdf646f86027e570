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
 * - Identity (every tensor the gradient tape keeps): shared memory instead of a copy (wasm/identity.ts).
 * - TfsweepAdam (new): one Adam step per weight tensor in one pass of native wasm code (see wasm/adam.ts).
 * - Conv2DBackpropInput: the input gradient is a plain convolution of the output gradient (dilated by the
 *   stride, padded to "full") with the filter flipped in space and its channels swapped — XNNPACK's conv,
 *   instead of the stock scalar loop.
 *
 * Where tfsweep's native addon runs (native/addon: AVX2 and FMA, built at install), the matrix products,
 * convolutions, 2×2 max pooling, bias adds and sums, and a ReLU's gradient go to it instead (src/trainer/native/). `TFSWEEP_KERNELS=native|wasm|stock` forces a path.
 */
import * as tf from '@tensorflow/tfjs';
import { FUSED_ADAM, fusedAdam } from './wasm/adam.js';
import { setFastKernels, stock, type KernelFunc } from './wasm/compose.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './wasm/conv.js';
import { gatherV2 } from './wasm/gather.js';
import { identity } from './wasm/identity.js';
import { untransposed } from './wasm/matmul.js';
import { avgPoolGrad, maxPoolGrad } from './wasm/pool.js';
import { nativeAddon, nativeRequiredProblem } from './native/addon.js';
import { engineEnvProblem, type KernelPath } from './paths.js';
import { nativeMatMul } from './native/matmul.js';
import { nativeConv2D, nativeConvFilterGrad, nativeConvInputGrad, nativeFusedConv2D } from './native/conv.js';
import { add, sum } from './wasm/reduce.js';
import { nativeMaxPool, nativeMaxPoolGrad } from './native/pool.js';
import { nativeAdam } from './native/adam.js';
import { FUSED_UPDATE, nativeUpdate } from './native/optimizers.js';
import { DROPOUT_MASK, nativeDropoutMask } from './native/dropout.js';
import { nativeAdd, nativeReluGrad, nativeSum, RELU_GRAD, registerReluGradient } from './native/rowwise.js';

const FAST: Record<string, KernelFunc> = {
  Identity: identity,
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

/** Which kernels train on the wasm backend: tfsweep's native ones, its wasm ones, or tfjs' own. */
export { KERNEL_PATHS, type KernelPath } from './paths.js';

/** What tfsweep registered under each name (its wasm kernel, or the native one over it). */
const active = new Map<string, KernelFunc>();
let path: KernelPath = 'stock';

/** The kernels in use since the last registerWasmKernels. */
export function kernelPath(): KernelPath {
  return path;
}

/** Whether the wasm kernel registered under `name` now is tfsweep's (wasm or native). */
export function isFastKernel(name: string): boolean {
  const current = tf.getKernel(name, 'wasm')?.kernelFunc;
  return current !== undefined && current === (active.get(name) as unknown);
}

function register(name: string, kernelFunc: KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as never });
}

/** The path `TFSWEEP_KERNELS` (or the older `TFSWEEP_STOCK_KERNELS=1`) asks for, or undefined for the fastest. */
function requestedPath(): KernelPath | undefined {
  const env = process.env.TFSWEEP_KERNELS;
  if (env) {
    const problem = engineEnvProblem({ TFSWEEP_KERNELS: env });
    if (problem) throw new Error(problem);
    return env as KernelPath;
  }
  return process.env.TFSWEEP_STOCK_KERNELS === '1' ? 'stock' : undefined;
}

/**
 * Registers the missing kernels on the wasm backend, and tfsweep's faster kernels over the stock ones: native
 * where the addon runs, else wasm (`fast: false` puts the stock ones back, `native: false` keeps to the wasm
 * ones: the benchmarks compare them in one process). Call after `tf.setBackend('wasm')`: the stock kernels'
 * setup has run by then. A path forced by TFSWEEP_KERNELS that cannot run here is an error saying why.
 */
export function registerWasmKernels(options: { fast?: boolean; native?: boolean } = {}): KernelPath {
  const requested = requestedPath();
  const fast = options.fast ?? requested !== 'stock';
  const addon = fast && (options.native ?? requested !== 'wasm') ? nativeAddon() : null;
  if (requested === 'native' && options.native !== false && !addon) throw new Error(nativeRequiredProblem());
  setFastKernels(fast, addon !== null);
  active.clear();
  for (const name of new Set([...Object.keys(FAST), ...Object.keys(NATIVE), ...Object.keys(ADDED)])) {
    if (!stock.has(name)) {
      const config = tf.getKernel(name, 'wasm');
      if (config && !ADDED[name]) stock.set(name, config);
    }
    // What runs without tfsweep's kernels: the stock kernel, or for a kernel wasm lacks, tfsweep's own.
    const base = ADDED[name] ?? (stock.get(name)?.kernelFunc as KernelFunc | undefined);
    if (!base) continue;
    const wasmKernel = FAST[name] ?? base;
    const native = addon ? NATIVE[name] : undefined;
    const kernel = native ? native(addon!, wasmKernel) : wasmKernel;
    active.set(name, kernel);
    register(name, fast ? kernel : base);
  }
  // A ReLU's gradient in one native pass (a kernel of tfsweep's, reached through Relu's gradient, see rowwise.ts);
  // SGD, momentum and RMSprop in one native call per weight (FusedSGD, FusedMomentum, FusedRMSProp); dropout
  // masks (src/trainer/dropout.ts). Each runs while nativeKernelsOn() says so.
  if (addon) {
    register(RELU_GRAD, nativeReluGrad(addon));
    register(FUSED_UPDATE, nativeUpdate(addon));
    register(DROPOUT_MASK, nativeDropoutMask(addon));
    registerReluGradient();
  }
  path = !fast ? 'stock' : addon ? 'native' : 'wasm';
  return path;
}

/** The kernels the native addon takes over, each over tfsweep's wasm kernel of the same name. */
const NATIVE: Record<string, (addon: NonNullable<ReturnType<typeof nativeAddon>>, fallback: KernelFunc) => KernelFunc> = {
  BatchMatMul: nativeMatMul,
  _FusedMatMul: nativeMatMul,
  Conv2D: nativeConv2D,
  FusedConv2D: nativeFusedConv2D,
  Conv2DBackpropInput: nativeConvInputGrad,
  Conv2DBackpropFilter: nativeConvFilterGrad,
  MaxPool: nativeMaxPool,
  MaxPoolGrad: nativeMaxPoolGrad,
  Add: nativeAdd,
  Sum: nativeSum,
  [FUSED_ADAM]: nativeAdam,
};

/** Kernels the wasm backend lacks, which tfsweep adds whatever the path (CNNs could not train without them). */
const ADDED: Record<string, KernelFunc> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  // tfsweep's own: FusedAdam runs it only while tfsweep's kernels are on (tfjs' Adam otherwise).
  [FUSED_ADAM]: fusedAdam,
};
