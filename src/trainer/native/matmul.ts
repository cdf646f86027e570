/**
 * BatchMatMul and _FusedMatMul on the native addon: every transposition case in one call, the bias and a relu
 * fused into the product (a dense layer's forward is one call), no transposed copy for the backward pass.
 * Shapes the addon does not take (broadcast batch dimensions, an activation other than linear or relu, a bias
 * that is not one value per output column, a PReLU) go to the wasm kernel it replaced.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelFunc, WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import type { NativeAddon } from './addon.js';

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1 };

/** The kernel over `fallback` (the wasm kernel it replaces). */
export function nativeMatMul(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, attrs } = args;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation = 'linear' } = attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
    const act = ACTIVATIONS[activation];
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || act === undefined || preluActivationWeights) return fallback(args);
    const rank = a.shape.length;
    if (rank < 2 || b.shape.length !== rank) return fallback(args);
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const batch = tf.util.sizeFromShape(batchA);
    // Equal batch dimensions, or one side a single matrix shared by every product; anything else broadcasts.
    const sizeB = tf.util.sizeFromShape(batchB);
    if (!(tf.util.arraysEqual(batchA, batchB) || sizeB === 1)) return fallback(args);
    const m = transposeA ? a.shape[rank - 1]! : a.shape[rank - 2]!;
    const k = transposeA ? a.shape[rank - 2]! : a.shape[rank - 1]!;
    const kb = transposeB ? b.shape[rank - 1]! : b.shape[rank - 2]!;
    const n = transposeB ? b.shape[rank - 2]! : b.shape[rank - 1]!;
    if (k !== kb || k === 0) return fallback(args);
    if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== n))) return fallback(args);
    const backend = args.backend as WasmBackend & WasmBackendInternals;
    const out = backend.makeOutput([...batchA, m, n], 'float32');
    if (m * n === 0) return out;
    const { memory, at } = heapView(backend);
    addon.matmul(memory, at(a), at(b), at(out), at(bias), batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, act, m * k, sizeB === 1 ? 0 : k * n);
    return out;
  };
}
