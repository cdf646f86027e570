/**
 * SGD, momentum and RMSprop in one native kernel call per weight tensor, as FusedAdam does for Adam: tfjs'
 * optimizers run three to eight element-wise kernels per weight tensor each step, each a pass over memory and
 * a tensor's bookkeeping. Each class is tfjs' optimizer (same state, names and serialisation) whose update is
 * the same float32 arithmetic in the same order, so the same results bit for bit; it runs on the wasm backend
 * while tfsweep's native kernels are in use, and is tfjs' own update anywhere else.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsOn, type KernelArgs, type KernelFunc, type WasmBackend } from '../wasm/compose.js';
import { heapView, type WasmBackendInternals } from '../wasm/native.js';
import { shared } from '../wasm/identity.js';
import type { NativeAddon } from './addon.js';

/** The kernel: inputs w, g and the rule's state (s1, s2), attrs the rule and its settings; the new w out. */
export const FUSED_UPDATE = 'TfsweepUpdate';

const RULE = { sgd: 0, momentum: 1, nesterov: 2, rmsprop: 3 } as const;

interface UpdateAttrs {
  rule: number;
  /** The rule's settings, in the order native/addon/kernels.c's update_step reads them. */
  k: number[];
}

export function nativeUpdate(addon: NativeAddon): KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { w, g, s1, s2 } = inputs as Record<'w' | 'g', tf.TensorInfo> & Partial<Record<'s1' | 's2', tf.TensorInfo>>;
    const a = attrs as unknown as UpdateAttrs;
    const wasm = backend as WasmBackend & WasmBackendInternals;
    const out = wasm.makeOutput(w.shape, 'float32');
    const n = tf.util.sizeFromShape(w.shape);
    if (n === 0) return out;
    const { memory, at } = heapView(wasm);
    const k = [0, 1, 2, 3, 4].map((i) => a.k[i] ?? 0) as [number, number, number, number, number];
    addon.update(memory, a.rule, at(w), at(g), at(s1), at(s2), at(out), n, ...k);
    return out;
  };
}

type Gradients = Parameters<tf.Optimizer['applyGradients']>[0];
type Slot = { originalName: string; variable: tf.Variable } | undefined;

/** A state variable as tfjs' optimizers make one: zeros like the weight, not trainable, named after it. */
function slot(slots: Slot[], i: number, name: string, value: tf.Variable): tf.Variable {
  slots[i] ??= { originalName: name, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  return slots[i]!.variable;
}

/**
 * One update of every weight: `state` gives (creating them first, as tfjs does, even for a weight without a
 * gradient) the state variables the kernel rewrites in place, never while another tensor shares their memory.
 */
function update(gradients: Gradients, rule: number, k: number[], state: (i: number, name: string, value: tf.Variable) => tf.Variable[]): void {
  const names = Array.isArray(gradients) ? gradients.map((v) => v.name) : Object.keys(gradients);
  tf.tidy(() => {
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      const states = state(i, name, value);
      const gradient: tf.Tensor | undefined = Array.isArray(gradients) ? gradients[i]!.tensor : gradients[name];
      if (gradient == null) return;
      const backend = tf.backend();
      for (const s of states) if (shared(backend, s)) s.assign(tf.add(s, 0));
      const inputs: tf.NamedTensorMap = { w: value, g: gradient };
      states.forEach((s, j) => (inputs[`s${j + 1}`] = s));
      value.assign(tf.engine().runKernel(FUSED_UPDATE, inputs, { rule, k } as unknown as tf.NamedAttrMap) as tf.Tensor);
    });
  });
}

/** tfjs' SGD: w' = −lr·g + w. */
export class FusedSGD extends tf.SGDOptimizer {
  override applyGradients(gradients: Parameters<tf.SGDOptimizer['applyGradients']>[0]): void {
    if (!nativeKernelsOn()) return super.applyGradients(gradients);
    update(gradients, RULE.sgd, [-this.learningRate], () => []);
    this.incrementIterations();
  }
}

interface MomentumState {
  momentum: number;
  useNesterov: boolean;
  accumulations: Slot[];
}

/** tfjs' momentum (and Nesterov momentum): a' = m·a + g, then w' = −lr·a' + w (or −lr·(g + a'·m) + w). */
export class FusedMomentum extends tf.MomentumOptimizer {
  override applyGradients(gradients: Parameters<tf.MomentumOptimizer['applyGradients']>[0]): void {
    if (!nativeKernelsOn()) return super.applyGradients(gradients);
    const self = this as unknown as MomentumState;
    update(gradients, self.useNesterov ? RULE.nesterov : RULE.momentum, [-this.learningRate, self.momentum], (i, name, value) => [slot(self.accumulations, i, `${name}/momentum`, value)]);
    this.incrementIterations();
  }
}

interface RmsState {
  centered: boolean;
  accumulatedMeanSquares: Slot[];
  accumulatedMoments: Slot[];
}

/** tfjs' RMSprop (the centred variant stays tfjs' own): mean square, then momentum of the scaled gradient. */
export class FusedRMSProp extends tf.RMSPropOptimizer {
  override applyGradients(gradients: Parameters<tf.RMSPropOptimizer['applyGradients']>[0]): void {
    const self = this as unknown as RmsState;
    if (self.centered || !nativeKernelsOn()) return super.applyGradients(gradients);
    const k = [this.learningRate, this.decay, 1 - this.decay, this.momentum, this.epsilon];
    update(gradients, RULE.rmsprop, k, (i, name, value) => [slot(self.accumulatedMeanSquares, i, `${name}/rms`, value), slot(self.accumulatedMoments, i, `${name}/momentum`, value)]);
    this.incrementIterations();
  }
}
