/**
 * Picks the fastest tfjs backend that loads here: native TensorFlow (`@tensorflow/tfjs-node`, an optional
 * dependency whose install needs a download), else WebAssembly, else pure JS. `TFSWEEP_BACKEND` forces one.
 * Called once per worker thread; every trial in that thread reuses it.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './wasm-kernels.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // A module name in a variable keeps TypeScript from requiring the optional package's types.
      const nativeModule = '@tensorflow/tfjs-node';
      await import(nativeModule);
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
    }
    const ok = (await tf.setBackend(name)) && tf.getBackend() === name;
    if (ok && name === 'wasm') registerWasmKernels();
    return ok;
  } catch {
    return false;
  }
}

/** Initialises tfjs; returns the backend in use. Throws when a forced backend cannot load. */
export async function initBackend(forced: string | undefined = process.env.TFSWEEP_BACKEND): Promise<BackendName> {
  if (forced) {
    if (!BACKENDS.includes(forced as BackendName)) {
      throw new Error(`TFSWEEP_BACKEND=${forced}: expected one of ${BACKENDS.join(', ')}`);
    }
    if (!(await tryBackend(forced as BackendName))) throw new Error(`TFSWEEP_BACKEND=${forced}: that backend could not be loaded here`);
    return forced as BackendName;
  }
  for (const name of BACKENDS) if (await tryBackend(name)) return name;
  throw new Error('no tfjs backend could be initialised');
}
