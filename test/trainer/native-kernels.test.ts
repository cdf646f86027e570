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
import { FusedAdam } from '../../src/trainer/wasm/adam.js';
import { FusedMomentum, FusedRMSProp, FusedSGD } from '../../src/trainer/native/optimizers.js';
import { compare, seededRand } from './compare-backends.js';

const SKIP = nativeAddon() ? false : nativeRequiredProblem();
const rand = seededRand(77);

describe('native kernels match the cpu backend', { skip: SKIP }, () => {
  before(async () => {
    await tf.setBackend('wasm');
    assert.equal(registerWasmKernels({ fast: true, native: true }), 'native');
    assert.equal(kernelPath(), 'native');
    for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'MaxPool', 'MaxPoolGrad', 'Add', 'Sum', 'TfsweepAdam']) assert.ok(isFastKernel(name), name);
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

  it('conv2d forward and both gradients: strides 1–2, same/valid, batch 1 and 3, odd and even filters, 1–40 channels', async () => {
    let checked = 0;
    for (const [h, w, cin, cout, k] of [[9, 9, 3, 4, 3], [8, 7, 2, 5, 5], [6, 6, 1, 2, 2], [7, 5, 4, 3, 1], [28, 28, 1, 16, 3], [14, 14, 16, 32, 3], [11, 10, 1, 8, 5], [6, 9, 7, 12, 2], [9, 8, 8, 24, 3], [7, 9, 24, 16, 3], [5, 6, 3, 40, 4], [4, 4, 16, 8, 1]] as const) {
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
    assert.ok(checked >= 80, `${checked} cases`);
  });

  it('explicit padding wider than the filter, on one side or both: forward and both gradients', async () => {
    const pads: Array<[[number, number], [number, number], [number, number], [number, number]]> = [
      [[0, 0], [4, 1], [5, 0], [0, 0]],
      [[0, 0], [0, 3], [2, 4], [0, 0]],
    ];
    for (const pad of pads) {
      for (const [cin, cout] of [[8, 8], [3, 16], [5, 6]]) {
        const xs = [2, 6, 7, cin!];
        const fs = [3, 3, cin!, cout!];
        const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, pad);
        const inputs: Array<[Float32Array, number[]]> = [[rand(xs), xs], [rand(fs), fs]];
        const fwd = await compare((x, f) => conv(x!, f!), inputs);
        const dx = await compare((x, f) => tf.grad((xx: tf.Tensor) => tf.sum(tf.square(conv(xx, f!))))(x!), inputs);
        const df = await compare((x, f) => tf.grad((ff: tf.Tensor) => tf.sum(tf.square(conv(x!, ff))))(f!), inputs);
        for (const [what, r] of [['forward', fwd], ['input gradient', dx], ['filter gradient', df]] as const) assert.ok(r.err <= 1e-5, `${what} ${JSON.stringify(pad)} ${cin}→${cout}: ${r.err}`);
      }
    }
  });

  it('fused conv2d (validation and prediction): bias and relu in the same pass, direct and matrix-product paths; other activations fall back and agree', async () => {
    for (const [xs, fs, stride] of [[[2, 9, 8, 1], [3, 3, 1, 16], 1], [[3, 7, 7, 16], [3, 3, 16, 32], 1], [[2, 9, 9, 3], [5, 5, 3, 6], 2], [[1, 6, 5, 8], [2, 2, 8, 12], 1]] as Array<[number[], number[], number]>) {
      const cout = fs[3]!;
      for (const activation of ['linear', 'relu', 'elu'] as const) {
        for (const withBias of [true, false]) {
          const { err } = await compare(
            (x, f, b) => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: stride, pad: 'same', ...(withBias ? { bias: b } : {}), activation }),
            [[rand(xs), xs], [rand(fs), fs], [rand([cout]), [cout]]],
          );
          assert.ok(err <= 1e-5, `${xs} * ${fs} stride ${stride} ${activation} bias=${withBias}: ${err}`);
        }
      }
    }
  });

  it('dilated convolutions agree too (tfjs computes no gradient of one)', async () => {
    for (const [xs, fs] of [[[2, 9, 8, 3], [3, 3, 3, 4]], [[2, 9, 8, 3], [3, 3, 3, 8]], [[1, 10, 9, 8], [2, 3, 8, 16]]] as const) {
      const conv = (x: tf.Tensor, f: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2);
      const inputs: Array<[Float32Array, number[]]> = [[rand([...xs]), [...xs]], [rand([...fs]), [...fs]]];
      const { err } = await compare((x, f) => conv(x!, f!), inputs);
      assert.ok(err <= 1e-5, `${xs} * ${fs}: ${err}`);
    }
  });

  it('max pooling and its gradient: 2×2 stride 2 natively (odd sizes, 1–20 channels), other windows fall back and agree', async () => {
    for (const [h, w, c] of [[28, 28, 16], [7, 9, 3], [5, 4, 20], [2, 2, 1], [3, 3, 9]] as const) {
      for (const [size, stride, pad] of [[2, 2, 'valid'], [2, 2, 'same'], [3, 2, 'same'], [2, 1, 'valid']] as const) {
        for (const batch of [1, 2]) {
          const xs = [batch, h, w, c];
          const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, size, stride, pad);
          // Rounded inputs: ties inside a window are common (after a ReLU), and the first maximum takes the gradient.
          const x = rand(xs).map((v) => Math.round(v * 3) / 3);
          const fwd = await compare((t) => pool(t!), [[x, xs]]);
          const grad = await compare((t, k) => tf.grad((tt: tf.Tensor) => tf.sum(tf.mul(pool(tt), k!)))(t!), [[x, xs], [rand(pool(tf.zeros(xs)).shape), pool(tf.zeros(xs)).shape]]);
          const where = `${batch}×${h}×${w}×${c}, ${size}×${size} stride ${stride} ${pad}`;
          assert.equal(fwd.err, 0, `forward ${where}`);
          // Windows that overlap add gradients in another order than the cpu backend: within rounding.
          if (size === 2 && stride === 2) assert.equal(grad.err, 0, `gradient ${where}`);
          else assert.ok(grad.err <= 1e-6, `gradient ${where}: ${grad.err}`);
        }
      }
    }
  });

  it('bias adds, sums over leading axes and ReLU gradients agree exactly, NaN and infinities included', async () => {
    const special = (shape: number[]) => {
      const v = rand(shape);
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0].forEach((s, i) => (v[(i * 7) % v.length] = s));
      return v;
    };
    for (const shape of [[3, 5], [2, 3, 4, 17], [1, 8], [64, 10]]) {
      const cols = shape[shape.length - 1]!;
      const same = async (fn: (...t: tf.Tensor[]) => tf.Tensor, inputs: Array<[Float32Array, number[]]>, what: string) => {
        const values = async (backend: string) => {
          await tf.setBackend(backend);
          return tf.tidy(() => Array.from(fn(...inputs.map(([v, s]) => tf.tensor(v, s))).dataSync()));
        };
        const [cpu, wasm] = [await values('cpu'), await values('wasm')];
        assert.deepEqual(wasm.map((v) => (Number.isNaN(v) ? 'NaN' : v)), cpu.map((v) => (Number.isNaN(v) ? 'NaN' : v)), `${what} ${shape}`);
      };
      await same((x, b) => tf.add(x!, b!), [[special(shape), shape], [rand([cols]), [cols]]], 'bias add');
      // Sums add in another order than the cpu backend: within rounding.
      const sums = await compare((x) => tf.sum(x!, [0]), [[rand(shape), shape]]);
      assert.ok(sums.err <= 1e-6, `sum over axis 0 ${shape}: ${sums.err}`);
      await same((x, dy) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), dy!)))(x!), [[special(shape), shape], [special(shape), shape]], 'relu gradient');
    }
  });

  it("a small CNN's gradients agree with the cpu backend (conv, bias, relu, pooling, dense)", async () => {
    const shapes = [[4, 12, 12, 1], [3, 3, 1, 16], [16], [3, 3, 16, 8], [8], [72, 10]];
    const { err } = await compare(
      (x, f1, b1, f2, b2, w) => {
        const loss = (...p: tf.Tensor[]) => {
          const c1: tf.Tensor4D = tf.maxPool(tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, p[0] as tf.Tensor4D, 1, 'same'), p[1]!)) as tf.Tensor4D, 2, 2, 'valid');
          const c2 = tf.maxPool(tf.relu(tf.add(tf.conv2d(c1, p[2] as tf.Tensor4D, 1, 'same'), p[3]!)) as tf.Tensor4D, 2, 2, 'valid');
          return tf.sum(tf.square(tf.matMul(tf.reshape(c2, [4, 72]), p[4]!)));
        };
        return tf.concat(tf.grads(loss)([f1!, b1!, f2!, b2!, w!]).map((g) => g.flatten()));
      },
      shapes.map((s) => [rand(s), s] as [Float32Array, number[]]),
    );
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

  it("the fused optimizers' native steps equal tfjs' optimizers bit for bit, weights and state (eight at a time and the tails)", async () => {
    await tf.setBackend('wasm');
    const shapes = [[13, 7], [16], [3, 3, 2, 8], [1], [5]];
    const init = shapes.map((s) => rand(s));
    const goals = shapes.map((s) => rand(s));
    const train = async (optimizer: tf.Optimizer) => {
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i]!, s)));
      const goal = shapes.map((s, i) => tf.tensor(goals[i]!, s));
      for (let step = 0; step < 6; step++) {
        optimizer.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, goal[i]!)), tf.add(goal[i]!, 1.5))))) as tf.Scalar);
        // A schedule's change of rate mid-run (SGD and momentum keep it as a tensor with a setter).
        if (step === 2) {
          const o = optimizer as unknown as { setLearningRate?: (lr: number) => void; learningRate: number };
          if (o.setLearningRate) o.setLearningRate(o.learningRate / 3);
          else o.learningRate /= 3;
        }
      }
      // Named after the weight (variable names differ between runs) and the slot: `/m`, `/momentum`, `/rms` …
      const state = (await optimizer.getWeights()).map((w) => [w.name.replace(/^\d+/, 'weight'), Array.from(w.tensor.dataSync())]);
      const weights = vars.map((v) => Array.from(v.dataSync()));
      tf.dispose([...vars, ...goal]);
      optimizer.dispose();
      return { weights, state };
    };
    const pairs: Array<[string, () => tf.Optimizer, () => tf.Optimizer]> = [
      ['adam', () => tf.train.adam(0.02), () => new FusedAdam(0.02)],
      ['sgd', () => tf.train.sgd(0.03), () => new FusedSGD(0.03)],
      ['momentum', () => tf.train.momentum(0.03, 0.9), () => new FusedMomentum(0.03, 0.9)],
      ['nesterov', () => tf.train.momentum(0.03, 0.7, true), () => new FusedMomentum(0.03, 0.7, true)],
      ['rmsprop', () => tf.train.rmsprop(0.01), () => new FusedRMSProp(0.01)],
      ['rmsprop with momentum', () => tf.train.rmsprop(0.01, 0.8, 0.5), () => new FusedRMSProp(0.01, 0.8, 0.5)],
      ['centred rmsprop (tfjs\' own update)', () => tf.train.rmsprop(0.01, 0.9, 0.3, 1e-6, true), () => new FusedRMSProp(0.01, 0.9, 0.3, 1e-6, true)],
    ];
    for (const [name, reference, fused] of pairs) {
      const expected = await train(reference());
      const mine = await train(fused());
      assert.deepEqual(mine.weights, expected.weights, `${name}: weights`);
      assert.deepEqual(mine.state, expected.state, `${name}: state`);
    }
  });

  it('the fused optimizers run one kernel call per weight tensor on the native path, and are tfjs\' own elsewhere', async () => {
    await tf.setBackend('wasm');
    const kernelsPerStep = async (optimizer: tf.Optimizer) => {
      const w = [tf.variable(tf.randomNormal([9, 4])), tf.variable(tf.randomNormal([4]))];
      const loss = () => tf.addN(w.map((v) => tf.sum(tf.square(v)))) as tf.Scalar;
      const { grads } = tf.variableGrads(loss);
      optimizer.applyGradients(grads);
      const profile = await tf.profile(() => optimizer.applyGradients(grads));
      tf.dispose([...w, ...Object.values(grads)]);
      optimizer.dispose();
      return profile.kernels.filter((k) => k.name === 'TfsweepUpdate' || k.name === 'TfsweepAdam').length;
    };
    for (const make of [() => new FusedSGD(0.1), () => new FusedMomentum(0.1, 0.9), () => new FusedRMSProp(0.1), () => new FusedAdam(0.1)]) assert.equal(await kernelsPerStep(make()), 2);
    registerWasmKernels({ fast: true, native: false });
    try {
      for (const make of [() => new FusedSGD(0.1), () => new FusedMomentum(0.1, 0.9), () => new FusedRMSProp(0.1)]) assert.equal(await kernelsPerStep(make()), 0);
    } finally {
      registerWasmKernels({ fast: true, native: true });
    }
  });

  it('writes only its outputs and leaks nothing: tensors allocated around them keep every value', async () => {
    await tf.setBackend('wasm');
    const sentinel = rand([4096]);
    const before = tf.tensor1d(sentinel);
    // Adam's step first, outside the count: tfjs' optimizers keep a tensor after dispose, and FusedAdam leaves
    // what tfjs' Adam leaves (wasm-fast-kernels.test.ts).
    const adam = new FusedAdam(0.1);
    const w = tf.variable(tf.randomNormal([37]));
    for (let i = 0; i < 3; i++) adam.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    adam.dispose();
    w.dispose();
    const memory = tf.memory();
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
      // The direct convolutions, pooling, bias add, sum and ReLU gradient: odd sizes, so every tail is cut short.
      const x2 = tf.randomNormal([2, 9, 7, 3]);
      const f2 = tf.randomNormal([3, 3, 3, 24]);
      const b2 = tf.randomNormal([24]);
      const block = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.maxPool(tf.relu(tf.add(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same'), bb)) as tf.Tensor4D, 2, 2, 'valid'));
      tf.grads(block)([x2, f2, b2]).forEach((g) => g.dataSync());
    });
    const after = tf.tensor1d(sentinel);
    assert.deepEqual(before.dataSync(), sentinel);
    assert.deepEqual(after.dataSync(), sentinel);
    after.dispose();
    assert.equal(tf.memory().numTensors, memory.numTensors);
    assert.equal(tf.memory().numBytes, memory.numBytes);
    before.dispose();
  });

  it('refuses offsets outside the memory instead of writing there', () => {
    const addon = nativeAddon()!;
    const memory = new ArrayBuffer(64);
    assert.throws(() => addon.matmul(memory, 0, 0, 60, -1, 1, 2, 2, 2, 0, 0, 0, 4, 4), /outside the memory/);
    assert.throws(() => addon.matmul(memory, 0, 0, 0, 62, 1, 2, 2, 2, 0, 0, 0, 4, 4), /outside the memory/);
    assert.throws(() => addon.pool2x2(memory, 0, 0, -1, 60, 1, 2, 2, 4, 1, 1), /outside the memory/);
    assert.throws(() => addon.pool2x2(memory, 1, 0, 64, 0, 1, 2, 2, 1, 1, 1), /outside the memory/);
    assert.throws(() => addon.pool2x2(memory, 0, 0, -1, 0, 1, 2, 2, 1, 2, 1), /bad sizes/);
    assert.throws(() => addon.rowwise(memory, 1, 0, 60, 0, 2, 4), /outside the memory/);
    assert.throws(() => addon.rowwise(memory, 2, 0, -1, 0, 5, 4), /outside the memory/);
    assert.throws(() => addon.adam(memory, 0, 16, 32, 48, 56, 4, 0.1, 0.9, 0.999, 0.1, 0.001, 1e-7, 0.1, 0.001), /outside the memory/);
    assert.throws(() => addon.update(memory, 3, 0, 16, 32, 60, 0, 4, 0.1, 0.9, 0.1, 0, 1e-7), /outside the memory/);
    assert.throws(() => addon.update(memory, 4, 0, 16, -1, -1, 0, 4, 0.1, 0, 0, 0, 0), /unknown rule/);
    assert.throws(() => (addon.adam as (...a: unknown[]) => void)(memory, 0, 16, 32, 48, 0, 4, 0.1, 0.9, 0.999, 0.1, 0.001, 1e-7, 0.1), /expected 15 arguments/);
    assert.throws(() => addon.conv2d(memory, 0, 0, 0, -1, 32, -1, 0, 1, 2, 2, 1, 2, 2, 8, 1, 1, 1, 1, 1, 1, 0, 0), /outside the memory/);
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
