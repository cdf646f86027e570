import type * as tf from '@tensorflow/tfjs';
import { Composer, stockKernel, type KernelFunc } from './compose.js';

/** The permutation that swaps the last two axes. */
function swapLast(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
}

/** A matmul kernel that transposes its inputs itself, so the stock kernel always takes XNNPACK's path. */
export function untransposed(name: 'BatchMatMul' | '_FusedMatMul'): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return stockKernel(name)({ inputs, backend, attrs });
    const c = new Composer(backend);
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const a2 = transposeA ? c.run('Transpose', { x: a }, { perm: swapLast(a.shape.length) }) : a;
    const b2 = transposeB ? c.run('Transpose', { x: b }, { perm: swapLast(b.shape.length) }) : b;
    return c.finish(c.run(name, { ...inputs, a: a2, b: b2 }, { ...attrs, transposeA: false, transposeB: false }));
  };
}

