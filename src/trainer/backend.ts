/**
 * Picks the fastest tfjs backend that loads here: native TensorFlow (`@tensorflow/tfjs-node`, an optional
 * dependency whose install needs a download), else WebAssembly, else pure JS. `TFSWEEP_BACKEND` forces one.
 * Called once per worker thread; every trial in that thread reuses it.
 */
import * as tf from '@tensorflow/tfjs';
import { kernelPath, registerWasmKernels } from './wasm-kernels.js';
import { BACKEND_NAMES, engineEnvProblem } from './paths.js';

export type BackendName = (typeof BACKEND_NAMES)[number];
/** In the order they are tried: the fastest first. */
export const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // A module name in a variable keeps TypeScript from requiring the optional package's types.
      const nativeModule = '@tensorflow/tfjs-node';
      await import(nativeModule);
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
    }
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** Loads `name`; on wasm registers tfsweep's kernels, which throws when TFSWEEP_KERNELS forces a path that cannot run here. */
async function useBackend(name: BackendName): Promise<boolean> {
  if (!(await tryBackend(name))) return false;
  if (name === 'wasm') registerWasmKernels();
  return true;
}

/**
 * The backend as a trial records it: on wasm, with the kernels that train (`wasm (native kernels)`, `wasm (wasm
 * kernels)`, `wasm (stock kernels)`), as `tfsweep trials` and the report show it.
 */
export function backendLabel(name: BackendName): string {
  return name === 'wasm' ? `wasm (${kernelPath()} kernels)` : name;
}

/** Initialises tfjs; returns the backend in use. Throws when a forced backend cannot load. */
export async function initBackend(forced: string | undefined = process.env.TFSWEEP_BACKEND): Promise<BackendName> {
  if (forced) {
    const problem = engineEnvProblem({ TFSWEEP_BACKEND: forced });
    if (problem) throw new Error(problem);
    if (!(await useBackend(forced as BackendName))) throw new Error(`TFSWEEP_BACKEND=${forced}: that backend could not be loaded here`);
    return forced as BackendName;
  }
  for (const name of BACKENDS) if (await useBackend(name)) return name;
  throw new Error('no tfjs backend could be initialised');
}
