/**
 * tfsweep's native CPU kernels (native/addon/kernels.c), a Node addon built at install time by node-gyp when a
 * C compiler is there. It works on the wasm backend's tensors in place: each call takes the backend's memory
 * and the tensors' byte offsets in it. Absent (no compiler at install, another architecture, a CPU without
 * AVX2 and FMA), tfsweep's wasm kernels are used as before.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export interface NativeAddon {
  /** Whether this CPU runs the addon's kernels (AVX2 and FMA). */
  available(): boolean;
  /**
   * c = op(a) · op(b) (+ bias) (activation: 0 linear, 1 relu), `batch` times with element strides between the
   * inputs' matrices; offsets in bytes into `memory`, bias −1 for none.
   */
  matmul(memory: ArrayBuffer, a: number, b: number, c: number, bias: number, batch: number, m: number, n: number, k: number, transA: number, transB: number, activation: number, strideA: number, strideB: number): void;
  /**
   * An NHWC convolution (mode 0: x, filter → y), its filter gradient (1: x, dy → dW) or its input gradient
   * (2: dy, filter → dx); offsets in bytes, −1 for what the mode does not use.
   */
  conv2d(memory: ArrayBuffer, mode: number, x: number, filter: number, dy: number, out: number, bias: number, activation: number,
    n: number, h: number, w: number, cin: number, oh: number, ow: number, cout: number, fh: number, fw: number, sh: number, sw: number, dh: number, dw: number, top: number, left: number): void;
  /** 2×2, stride 2 max pooling, NHWC: mode 0 forward (x → out), 1 its gradient (x, dy → out); dy −1 in mode 0. */
  pool2x2(memory: ArrayBuffer, mode: number, x: number, dy: number, out: number, n: number, h: number, w: number, c: number, oh: number, ow: number): void;
  /**
   * Over rows × cols: op 0 out = x · step(y) (a ReLU's gradient, y its input), 1 out = x + y (a bias of cols
   * values), 2 out = the sum of x's rows (y −1).
   */
  rowwise(memory: ArrayBuffer, op: number, x: number, y: number, out: number, rows: number, cols: number): void;
  /** One Adam step over n weights: the moments m and v in place, the new weights to wOut; offsets in bytes. */
  adam(memory: ArrayBuffer, w: number, m: number, v: number, g: number, wOut: number, n: number,
    learningRate: number, beta1: number, beta2: number, oneMinusBeta1: number, oneMinusBeta2: number, epsilon: number, c1: number, c2: number): void;
  /**
   * One step of SGD (rule 0), momentum (1), Nesterov momentum (2) or RMSprop (3): the state s1, s2 (−1 where
   * the rule has none) in place, the new weights to wOut; k0 … k4 the rule's settings (native/addon/kernels.c).
   */
  update(memory: ArrayBuffer, rule: number, w: number, g: number, s1: number, s2: number, wOut: number, n: number, k0: number, k1: number, k2: number, k3: number, k4: number): void;
  /** A dropout mask of n values (src/trainer/dropout.ts): `scale` where kept, else 0; out in bytes. */
  dropoutMask(memory: ArrayBuffer, out: number, n: number, seed: number, counter: number, threshold: number, scale: number): void;
}

/** Where node-gyp leaves the addon: native/addon/build/Release/, from the package's root. */
const ADDON = path.join(fileURLToPath(new URL('../../../../', import.meta.url)), 'native', 'addon', 'build', 'Release', 'tfsweep_native.node');

let loaded: NativeAddon | null | undefined;
let why = '';

/** The addon, or null (and `nativeRequiredProblem()` says why) when it was not built or cannot run here. */
export function nativeAddon(): NativeAddon | null {
  if (loaded !== undefined) return loaded;
  try {
    const addon = createRequire(import.meta.url)(ADDON) as NativeAddon;
    if (addon.available()) loaded = addon;
    else {
      loaded = null;
      why = 'this CPU lacks AVX2 and FMA';
    }
  } catch (err) {
    loaded = null;
    why = `the addon was not built at install (${(err as Error).message.split('\n')[0]})`;
  }
  return loaded;
}

/** Why `TFSWEEP_KERNELS=native` cannot be honoured here (the addon did not build or cannot run). */
export function nativeRequiredProblem(): string {
  nativeAddon();
  return `TFSWEEP_KERNELS=native: the native kernels cannot run here: ${why}`;
}
