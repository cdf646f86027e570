/**
 * Adam in one kernel call per weight tensor. tfjs' AdamOptimizer issues about a dozen element-wise kernels per
 * weight tensor each step (each with its own output, bookkeeping and pass over memory); at small batches that
 * fixed cost is a large share of a training step. On the wasm backend with tfsweep's kernels, `FusedAdam` does
 * the same arithmetic in one pass of native code (native/kernels.c); elsewhere it is tfjs' Adam unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { fastKernelsOn, type KernelArgs, type WasmBackend } from './compose.js';
import { heapOffset, nativeKernels, type WasmBackendInternals } from './native.js';
import { shared } from './identity.js';

export const FUSED_ADAM = 'TfsweepAdam';

export interface FusedAdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − beta1^t and 1 − beta2^t, the bias corrections of step t. */
  c1: number;
  c2: number;
}

/**
 * Kernel: inputs w, m, v, g (float32, one shape); outputs the new w in a new buffer (the backend caches
 * XNNPACK's packed copy of a matmul's weights by buffer, so weights are never changed in place), and updates
 * the moments m and v in place: they belong to the optimizer alone, and rewriting the same (cache-warm) buffers
 * instead of two new ones each step halves the memory an update touches, which two workers on one memory bus
 * share.
 */
export function fusedAdam({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { w, m, v, g } = inputs as Record<'w' | 'm' | 'v' | 'g', tf.TensorInfo>;
  const a = attrs as unknown as FusedAdamAttrs;
  const wasm = backend as WasmBackend & WasmBackendInternals;
  const out = wasm.makeOutput(w.shape, 'float32');
  const at = (t: tf.TensorInfo): number => heapOffset(wasm, t.dataId);
  nativeKernels(wasm).adam(at(w), at(m), at(v), at(g), at(out), at(m), at(v), tf.util.sizeFromShape(w.shape), ...adamSettings(a));
  return out;
}

/** The step's settings as the kernels take them: rate, betas, 1 − betas (rounded from double, as tfjs does), epsilon, corrections. */
export function adamSettings(a: FusedAdamAttrs): [number, number, number, number, number, number, number, number] {
  return [a.learningRate, a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, a.epsilon, a.c1, a.c2];
}

/** The state tfjs' AdamOptimizer keeps (not part of its typings). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

/** tfjs' Adam (same state, weights and serialisation) whose update is one fused kernel call per weight tensor. */
export class FusedAdam extends tf.AdamOptimizer {
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon as number);
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (tf.getBackend() !== 'wasm' || !fastKernelsOn() || !tf.getKernel(FUSED_ADAM, 'wasm')) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // accBeta1/2 hold beta^t as float32, as tfjs keeps them; the corrections are computed from those values.
    const c1 = Math.fround(1 - self.accBeta1.dataSync()[0]!);
    const c2 = Math.fround(1 - self.accBeta2.dataSync()[0]!);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient: tf.Tensor | undefined = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        let m = self.accumulatedFirstMoment[i]!.variable;
        let v = self.accumulatedSecondMoment[i]!.variable;
        // The moments are written in place: never while another tensor shares their memory (then a copy first).
        const backend = tf.backend();
        if (shared(backend, m)) m.assign(tf.add(m, 0));
        if (shared(backend, v)) v.assign(tf.add(v, 0));
        m = self.accumulatedFirstMoment[i]!.variable;
        v = self.accumulatedSecondMoment[i]!.variable;
        const attrs: FusedAdamAttrs = { learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon, c1, c2 };
        value.assign(tf.engine().runKernel(FUSED_ADAM, { w: value, m, v, g: gradient }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}
