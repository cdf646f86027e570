/** The dropout mask on the native addon: src/trainer/dropout.ts's stream, eight values at a time. */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelFunc, WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import type { NativeAddon } from './addon.js';

/** The kernel: no inputs; attrs the mask's shape and stream (DropoutMaskAttrs); a float32 mask out. */
export const DROPOUT_MASK = 'TfsweepDropoutMask';

export interface DropoutMaskAttrs {
  shape: number[];
  seed: number;
  counter: number;
  /** Kept where the top 24 bits of the element's hash are below this. */
  threshold: number;
  /** The kept elements' value, 1 / (1 − rate). */
  scale: number;
}

export function nativeDropoutMask(addon: NativeAddon): KernelFunc {
  return ({ backend, attrs }: KernelArgs) => {
    const a = attrs as unknown as DropoutMaskAttrs;
    const wasm = backend as WasmBackend & WasmBackendInternals;
    const out = wasm.makeOutput(a.shape, 'float32');
    const n = tf.util.sizeFromShape(a.shape);
    const { memory, at } = heapView(wasm);
    if (n > 0) addon.dropoutMask(memory, at(out), n, a.seed, a.counter, a.threshold, a.scale);
    return out;
  };
}
