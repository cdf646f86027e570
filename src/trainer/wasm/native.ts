/**
 * tfsweep's own wasm module (native/kernels.c, embedded by native/build.sh), instantiated over the wasm
 * backend's memory so that its functions read and write tensors where they lie on the backend's heap.
 */
import { NATIVE_WASM_BASE64 } from './native-module.js';

export interface NativeKernels {
  /** Column sums of a rows×cols float32 matrix into out (cols floats). */
  sum_rows(x: number, out: number, rows: number, cols: number): void;
  max_pool_grad_2x2(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number): void;
  conv_filter_grad(x: number, dy: number, dw: number, n: number, h: number, w: number, cin: number, oh: number, ow: number, cout: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  add_bias(x: number, bias: number, out: number, rows: number, cols: number): void;
  avg_pool_grad(dy: number, dx: number, n: number, h: number, w: number, c: number, oh: number, ow: number, fh: number, fw: number, sh: number, sw: number, top: number, left: number, scale: number): void;
  adam(w: number, m: number, v: number, g: number, wOut: number, mOut: number, vOut: number, n: number, lr: number, b1: number, b2: number, ib1: number, ib2: number, eps: number, c1: number, c2: number): void;
}

/** The parts of the wasm backend this needs: its Emscripten module and the heap offset of each tensor. */
export interface WasmBackendInternals {
  wasm: { asm: { memory: WebAssembly.Memory } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, NativeKernels>();

/** The module's functions bound to this backend's memory (instantiated once per memory). */
export function nativeKernels(backend: WasmBackendInternals): NativeKernels {
  const memory = backend.wasm.asm.memory;
  let kernels = instances.get(memory);
  if (!kernels) {
    compiled ??= new WebAssembly.Module(Buffer.from(NATIVE_WASM_BASE64, 'base64'));
    kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as NativeKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}

/** The byte offset of a tensor's data on the backend's heap. */
export function heapOffset(backend: WasmBackendInternals, dataId: object): number {
  const entry = backend.dataIdMap.get(dataId);
  if (!entry) throw new Error('tensor data is not on the wasm heap');
  return entry.memoryOffset;
}

/**
 * What a native addon call takes: the backend's memory as it is now (read it after allocating the outputs:
 * growing the memory replaces the buffer) and each tensor's byte offset in it, −1 for none.
 */
export function heapView(backend: WasmBackendInternals): { memory: ArrayBuffer; at: (t: { dataId: object } | null | undefined) => number } {
  return { memory: backend.wasm.asm.memory.buffer as ArrayBuffer, at: (t) => (t ? heapOffset(backend, t.dataId) : -1) };
}
