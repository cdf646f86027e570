/** FusedAdam's kernel on the native addon: the same arithmetic as the wasm one, bit for bit, eight weights at a time. */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, KernelFunc, WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import { adamSettings, type FusedAdamAttrs } from '../wasm/adam.js';
import type { NativeAddon } from './addon.js';

export function nativeAdam(addon: NativeAddon, fallback: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { w, m, v, g } = args.inputs as Record<'w' | 'm' | 'v' | 'g', tf.TensorInfo>;
    const n = tf.util.sizeFromShape(w.shape);
    if (n === 0) return fallback(args);
    const backend = args.backend as WasmBackend & WasmBackendInternals;
    const out = backend.makeOutput(w.shape, 'float32');
    const { memory, at } = heapView(backend);
    addon.adam(memory, at(w), at(m), at(v), at(g), at(out), n, ...adamSettings(args.attrs as unknown as FusedAdamAttrs));
    return out;
  };
}
