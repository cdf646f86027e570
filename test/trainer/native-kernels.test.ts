/**
 * tfsweep's native kernels (native/addon, AVX2 and FMA) against the cpu backend on random shapes: every
 * transposition case, batch 1, odd sizes (tiles cut short at every edge), batched and broadcast matmuls, bias and
 * activations fused; convolutions and both their gradients over strides, paddings, dilation and channel counts;
 * they write nothing outside their outputs and leak nothing; a dense network's gradients agree. Skipped, saying why, where the addon was not built (no C
 * compiler at install) or the CPU lacks AVX2 and FMA.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { nativeAddon, nativeRequiredProblem } from '../../src/trainer/native/addon.js';
import { isFastKernel, kernelPath, registerWasmKernels } from '../../src/trainer/wasm-kernels.js';
import { compare, seededRand } from './compare-backends.js';

const SKIP = nativeAddon() ? false : nativeRequiredProblem();
const rand = seededRand(77);

describe('native kernels match the cpu backend', { skip: SKIP }, () => {
  before(async () => {
    await tf.setBackend('wasm');
    assert.equal(registerWasmKernels({ fast: true, native: true }), 'native');
    assert.equal(kernelPath(), 'native');
    for (const name of ['BatchMatMul', '_FusedMatMul']) assert.ok(isFastKernel(name), name);
  });

  it('matmul: every transposition, batch 1, odd sizes around the 6×16 tile, and the reference model sizes', async () => {
    const sizes = [[1, 1, 1], [1, 7, 3], [5, 3, 17], [6, 16, 16], [7, 33, 15], [13, 1, 31], [32, 784, 128], [128, 128, 10], [33, 512, 512]] as const;
    for (const [m, k, n] of sizes) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const as = ta ? [k, m] : [m, k];
          const bs = tb ? [n, k] : [k, n];
          const { err } = await compare((a, b) => tf.matMul(a!, b!, ta, tb), [[rand(as), as], [rand(bs), bs]]);
          assert.ok(err <= 1e-5, `${m}×${k}×${n} ta=${ta} tb=${tb}: relative error ${err}`);
        }
      }
    }
  });

  it('batched matmuls (equal batches, one matrix shared by all) and the broadcasts it leaves to wasm', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [
      [[3, 4, 7], [3, 7, 5], false, false],
      [[2, 3, 5, 4], [2, 3, 5, 6], true, false],
      [[3, 4, 7], [1, 5, 7], false, true],
      [[2, 1, 3, 5], [4, 5, 6], false, false],
      [[1, 6, 4], [3, 6, 5], true, false],
    ];
    for (const [as, bs, ta, tb] of cases) {
      const { err } = await compare((a, b) => tf.matMul(a!, b!, ta, tb), [[rand(as), as], [rand(bs), bs]]);
      assert.ok(err <= 1e-5, `${as} × ${bs} ta=${ta} tb=${tb}: relative error ${err}`);
    }
  });

  it('fused matmul: bias and relu in the same call, every transposition; other activations fall back and agree', async () => {
    for (const [m, k, n] of [[32, 20, 8], [1, 5, 3], [17, 9, 11], [64, 784, 128]] as const) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        const as = ta ? [k, m] : [m, k];
        const bs = tb ? [n, k] : [k, n];
        for (const activation of ['linear', 'relu', 'elu', 'sigmoid'] as const) {
          const { err } = await compare((a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation }), [
            [rand(as), as],
            [rand(bs), bs],
            [rand([n]), [n]],
          ]);
          assert.ok(err <= 1e-5, `${m}×${k}×${n} ta=${ta} tb=${tb} ${activation}: relative error ${err}`);
        }
      }
    }
  });

  it('conv2d forward and both gradients: strides 1–2, same/valid, batch 1 and 3, odd sizes, one to twelve channels', async () => {
    let checked = 0;
    for (const [h, w, cin, cout, k] of [[9, 9, 3, 4, 3], [8, 7, 2, 5, 5], [6, 6, 1, 2, 2], [7, 5, 4, 3, 1], [28, 28, 1, 16, 3], [14, 14, 16, 32, 3], [11, 10, 1, 8, 5], [6, 9, 7, 12, 2]] as const) {
      for (const stride of [1, 2] as const) {
        for (const pad of ['same', 'valid'] as const) {
          if (pad === 'valid' && (k > h || k > w)) continue;
          for (const batch of [1, 3]) {
            const xs = [batch, h, w, cin];
            const fs = [k, k, cin, cout];
            const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad);
            const fwd = await compare((x, f) => conv(x!, f!), [[rand(xs), xs], [rand(fs), fs]]);
            const dx = await compare((x, f) => tf.grad((xx: tf.Tensor) => tf.sum(tf.square(conv(xx, f!))))(x!), [[rand(xs), xs], [rand(fs), fs]]);
            const df = await compare((x, f) => tf.grad((ff: tf.Tensor) => tf.sum(tf.square(conv(x!, ff))))(f!), [[rand(xs), xs], [rand(fs), fs]]);
            const where = `${batch}×${h}×${w}×${cin} → ${cout}, ${k}×${k}, stride ${stride}, ${pad}`;
            assert.ok(fwd.err <= 1e-5, `forward ${where}: ${fwd.err}`);
            assert.ok(dx.err <= 1e-5, `input gradient ${where}: ${dx.err}`);
            assert.ok(df.err <= 1e-5, `filter gradient ${where}: ${df.err}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked >= 50, `${checked} cases`);
  });

  it('a dilated convolution agrees too', async () => {
    const xs = [2, 9, 8, 3];
    const fs = [3, 3, 3, 4];
    const { err } = await compare((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2), [[rand(xs), xs], [rand(fs), fs]]);
    assert.ok(err <= 1e-5, `relative error ${err}`);
  });

  it("a dense network's gradients agree with the cpu backend", async () => {
    const xs = [9, 31];
    const w1s = [31, 20];
    const w2s = [20, 7];
    const { err } = await compare(
      (x, w1, w2) => {
        const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x!, a)), b)));
        const [g1, g2] = tf.grads(loss)([w1!, w2!]);
        return tf.concat([g1!.flatten(), g2!.flatten()]);
      },
      [[rand(xs), xs], [rand(w1s), w1s], [rand(w2s), w2s]],
    );
    assert.ok(err <= 1e-5, `relative error ${err}`);
  });

  it('writes only its outputs and leaks nothing: tensors allocated around them keep every value', async () => {
    await tf.setBackend('wasm');
    const sentinel = rand([4096]);
    const memory = tf.memory();
    const before = tf.tensor1d(sentinel);
    tf.tidy(() => {
      for (const [m, k, n] of [[7, 33, 15], [1, 1, 1], [65, 17, 33]] as const) {
        const a = tf.randomNormal([m, k]);
        const b = tf.randomNormal([n, k]);
        tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias: tf.randomNormal([n]), activation: 'relu' }).dataSync();
        tf.matMul(a, tf.randomNormal([m, n]), true, false).dataSync();
      }
      const x = tf.randomNormal([3, 9, 7, 5]);
      const f = tf.randomNormal([3, 3, 5, 6]);
      tf.grads((xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 2, 'same')))([x, f]).forEach((g) => g.dataSync());
    });
    const after = tf.tensor1d(sentinel);
    assert.deepEqual(before.dataSync(), sentinel);
    assert.deepEqual(after.dataSync(), sentinel);
    tf.dispose([before, after]);
    assert.equal(tf.memory().numTensors, memory.numTensors);
    assert.equal(tf.memory().numBytes, memory.numBytes);
  });

  it('refuses offsets outside the memory instead of writing there', () => {
    const addon = nativeAddon()!;
    const memory = new ArrayBuffer(64);
    assert.throws(() => addon.matmul(memory, 0, 0, 60, -1, 1, 2, 2, 2, 0, 0, 0, 4, 4), /outside the memory/);
    assert.throws(() => addon.matmul(memory, 0, 0, 0, 62, 1, 2, 2, 2, 0, 0, 0, 4, 4), /outside the memory/);
  });
});

describe('choosing the kernels', () => {
  it('a TFSWEEP_KERNELS or TFSWEEP_BACKEND that names nothing is refused before anything is written (exit 2)', async () => {
    const { engineEnvProblem } = await import('../../src/trainer/paths.js');
    assert.equal(engineEnvProblem({ TFSWEEP_KERNELS: 'native' }), null);
    assert.match(engineEnvProblem({ TFSWEEP_KERNELS: 'fast' })!, /^TFSWEEP_KERNELS=fast: expected one of native, wasm, stock$/);
    assert.match(engineEnvProblem({ TFSWEEP_BACKEND: 'webgl' })!, /^TFSWEEP_BACKEND=webgl: expected one of tensorflow, wasm, cpu$/);
  });

  it('each path registers its kernels and says which', { skip: SKIP }, async () => {
    await tf.setBackend('wasm');
    assert.equal(registerWasmKernels({ fast: false }), 'stock');
    assert.equal(registerWasmKernels({ fast: true, native: false }), 'wasm');
    assert.equal(registerWasmKernels({ fast: true, native: true }), 'native');
    for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) assert.ok(isFastKernel(name), name);
  });
});
