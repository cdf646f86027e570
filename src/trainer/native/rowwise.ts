/**
 * Row-wise kernels on the native addon: a bias added along the last axis, a sum over the leading axes (every
 * bias gradient), and a ReLU's gradient in one pass. Other shapes go to the kernel each replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsOn, type KernelArgs, type KernelFunc, type WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import { biasColumns, leadingSum } from '../wasm/reduce.js';
import type { NativeAddon } from './addon.js';

type Backend = WasmBackend & WasmBackendInternals;

function rowwise(addon: NativeAddon, backend: Backend, op: 0 | 1 | 2, x: tf.TensorInfo, y: tf.TensorInfo | null, outShape: number[], rows: number, cols: number): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const { memory, at } = heapView(backend);
  addon.rowwise(memory, op, at(x), at(y), at(out), rows, cols);
  return out;
}

/** Add over `fallback`, where the second input is a bias along the first's last axis. */
export function nativeAdd(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const cols = biasColumns(a, b);
    if (!cols) return fallback(args);
    return rowwise(addon, args.backend as Backend, 1, a, b, a.shape, tf.util.sizeFromShape(a.shape) / cols, cols);
  };
}

/** Sum over `fallback`, where the axes summed are the leading ones. */
export function nativeSum(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const plan = leadingSum(x, args.attrs);
    if (!plan) return fallback(args);
    return rowwise(addon, args.backend as Backend, 2, x, null, plan.outShape, plan.rows, plan.cols);
  };
}

/** The kernel a ReLU's gradient runs on the wasm backend while the native kernels are in use. */
export const RELU_GRAD = 'TfsweepReluGrad';

/** dy · step(x) in one pass (tfjs runs Step, Cast and Multiply, each a pass over memory). */
export function nativeReluGrad(addon: NativeAddon): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const size = tf.util.sizeFromShape(x.shape);
    if (size === 0) return (args.backend as Backend).makeOutput(x.shape, 'float32');
    return rowwise(addon, args.backend as Backend, 0, dy, x, x.shape, 1, size);
  };
}

let gradientRegistered = false;

/**
 * Replaces tfjs' gradient of Relu (once, process-wide) by one that runs RELU_GRAD where it can: on the wasm
 * backend while tfsweep's native kernels are in use, for float32. Anywhere else it computes what tfjs' own
 * does, dy · step(x), with the same kernels.
 */
export function registerReluGradient(): void {
  if (!gradientRegistered) {
    gradientRegistered = true;
    tf.registerGradient({
      kernelName: 'Relu',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => {
        const [x] = saved as tf.Tensor[];
        const dyT = dy as tf.Tensor;
        const native = nativeKernelsOn() && x!.dtype === 'float32' && dyT.dtype === 'float32';
        return { x: () => (native ? tf.engine().runKernel(RELU_GRAD, { dy: dyT, x: x! }) as tf.Tensor : tf.mul(dyT, tf.cast(tf.step(x!), 'float32'))) };
      },
    });
  }
}
