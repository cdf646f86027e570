/**
 * tfsweep's faster wasm kernels against the cpu backend (the reference), on random shapes: batch 1 and odd
 * sizes, strides 1–2, same/valid, transposed and broadcast batched matmuls. Relative error ≤ 1e-4. The native
 * kernels (native/kernels.c) also must not write outside their outputs.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FAST_KERNELS, isFastKernel, registerWasmKernels } from '../../src/trainer/wasm-kernels.js';
import { FusedAdam } from '../../src/trainer/wasm/adam.js';
import { compare, seededRand } from './compare-backends.js';

const rand = seededRand(2024);

describe('tfsweep wasm kernels match the cpu backend', () => {
  before(async () => {
    await tf.setBackend('wasm');
    registerWasmKernels({ fast: true, native: false });
    for (const name of FAST_KERNELS) assert.ok(isFastKernel(name), `${name} is tfsweep's`);
  });

  it('BatchMatMul with every transpose combination, batch 1, odd sizes and broadcast batch dims', async () => {
    const cases: Array<[number[], number[], boolean, boolean]> = [];
    for (const [m, k, n] of [[1, 1, 1], [1, 7, 3], [32, 784, 128], [33, 17, 9], [5, 128, 10]] as const) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) cases.push([ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb]);
      }
    }
    cases.push([[2, 1, 3, 5], [4, 5, 6], false, false], [[2, 1, 5, 3], [4, 6, 5], true, true], [[3, 4, 7], [7, 2], false, false], [[1, 6, 4], [3, 6, 5], true, false]);
    for (const [as, bs, ta, tb] of cases) {
      const { err } = await compare((a, b) => tf.matMul(a!, b!, ta, tb), [[rand(as), as], [rand(bs), bs]]);
      assert.ok(err <= 1e-4, `${as} × ${bs} ta=${ta} tb=${tb}: relative error ${err}`);
    }
  });

  it('_FusedMatMul with bias and activation, transposed', async () => {
    for (const [m, k, n] of [[32, 20, 8], [1, 5, 3], [17, 9, 11]] as const) {
      for (const [ta, tb] of [[false, true], [true, false], [true, true]] as const) {
        const as = ta ? [k, m] : [m, k];
        const bs = tb ? [n, k] : [k, n];
        for (const activation of ['linear', 'relu'] as const) {
          const { err } = await compare((a, b, bias) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation }), [
            [rand(as), as],
            [rand(bs), bs],
            [rand([n]), [n]],
          ]);
          assert.ok(err <= 1e-4, `${m}×${k}×${n} ta=${ta} tb=${tb} ${activation}: relative error ${err}`);
        }
      }
    }
  });

  /** The gradient of sum(conv2d(x, f) · dy) with respect to x or f, on both backends, over random shapes. */
  async function convGradientCases(wrt: 'input' | 'filter', largest: readonly [number, number, number, number, number]): Promise<number> {
    let checked = 0;
    for (const [h, w, cin, cout, k] of [[9, 9, 3, 4, 3], [8, 7, 2, 5, 5], [6, 6, 1, 2, 2], [7, 5, 4, 3, 1], largest, [5, 8, 3, 2, 4], [11, 10, 1, 8, 5], [6, 9, 7, 12, 2]] as const) {
      for (const stride of [1, 2] as const) {
        for (const pad of ['same', 'valid'] as const) {
          for (const batch of [1, 3]) {
            const xs: [number, number, number, number] = [batch, h, w, cin];
            const fs: [number, number, number, number] = [k, k, cin, cout];
            await tf.setBackend('cpu');
            const ys = tf.tidy(() => tf.conv2d(tf.zeros(xs) as tf.Tensor4D, tf.zeros(fs) as tf.Tensor4D, stride, pad).shape) as number[];
            const loss = (x: tf.Tensor, f: tf.Tensor, dy: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad), dy));
            const { err } = await compare(
              (x, f, dy) => (wrt === 'input' ? tf.grad((xx: tf.Tensor) => loss(xx, f!, dy!))(x!) : tf.grad((ff: tf.Tensor) => loss(x!, ff, dy!))(f!)),
              [[rand(xs), xs], [rand(fs), fs], [rand(ys), ys]],
            );
            assert.ok(err <= 1e-4, `${wrt} gradient, ${xs} filter ${fs} stride ${stride} ${pad}: relative error ${err}`);
            checked++;
          }
        }
      }
    }
    return checked;
  }

  it('Conv2DBackpropInput (the input gradient of conv2d) for strides 1–2, same/valid, batch 1 and 3, odd sizes', async () => {
    assert.equal(await convGradientCases('input', [28, 28, 16, 32, 3]), 64);
  });

  it('Conv2DBackpropFilter (the filter gradient) for strides 1–2, same/valid, batch 1 and 3, odd sizes', async () => {
    assert.equal(await convGradientCases('filter', [14, 14, 16, 32, 3]), 64);
  });

  it('MaxPoolGrad: pools 2–3, strides 1–2, same/valid, with ties (the first maximum takes the gradient)', async () => {
    for (const [h, w, c] of [[28, 28, 16], [7, 9, 3], [5, 5, 1], [6, 11, 6]] as const) {
      for (const [pool, stride] of [[2, 2], [3, 2], [2, 1], [3, 3]] as const) {
        for (const pad of ['same', 'valid'] as const) {
          for (const batch of [1, 2]) {
            const xs: [number, number, number, number] = [batch, h, w, c];
            // Values from a small set, many of them zero as after a ReLU: windows with ties everywhere.
            const x = Float32Array.from(rand(xs), (v) => Math.max(0, Math.round(v * 3)));
            await tf.setBackend('cpu');
            const ys = tf.tidy(() => tf.maxPool(tf.zeros(xs) as tf.Tensor4D, pool, stride, pad).shape) as number[];
            const { err } = await compare(
              (xx, dy) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, pool, stride, pad), dy!)))(xx!),
              [[x, xs], [rand(ys), ys]],
            );
            assert.ok(err <= 1e-4, `${xs} pool ${pool} stride ${stride} ${pad}: relative error ${err}`);
          }
        }
      }
    }
  });

  it('AvgPoolGrad: pools 2–3, strides 1–2, same/valid (windows over the padding), odd sizes and channels', async () => {
    let checked = 0;
    for (const [h, w, c] of [[28, 28, 16], [7, 9, 3], [5, 5, 1], [6, 11, 6]] as const) {
      for (const [pool, stride] of [[2, 2], [3, 2], [2, 1], [3, 3]] as const) {
        for (const pad of ['same', 'valid'] as const) {
          for (const batch of [1, 2]) {
            const xs: [number, number, number, number] = [batch, h, w, c];
            await tf.setBackend('cpu');
            const ys = tf.tidy(() => tf.avgPool(tf.zeros(xs) as tf.Tensor4D, pool, stride, pad).shape) as number[];
            const { err } = await compare(
              (xx, dy) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(t as tf.Tensor4D, pool, stride, pad), dy!)))(xx!),
              [[rand(xs), xs], [rand(ys), ys]],
            );
            assert.ok(err <= 1e-4, `${xs} pool ${pool} stride ${stride} ${pad}: relative error ${err}`);
            checked++;
          }
        }
      }
    }
    assert.equal(checked, 64);
  });

  it('GatherV2 along axis 0 (float32 and int32, repeated indices, rank 1–4); other axes through the stock kernel', async () => {
    for (const [shape, axis] of [[[50, 28, 28, 1], 0], [[7, 3], 0], [[9], 0], [[6, 4, 5], -3], [[6, 4, 5], 1], [[5, 3], 1]] as const) {
      const n = shape[axis < 0 ? axis + shape.length : axis]!;
      const idx = Int32Array.from({ length: 13 }, (_, i) => (i * 7 + 3) % n);
      const { err } = await compare((x) => tf.gather(x!, tf.tensor1d(idx, 'int32'), axis), [[rand([...shape]), [...shape]]]);
      assert.ok(err === 0, `${shape} axis ${axis}: error ${err}`);
    }
    await tf.setBackend('wasm');
    const ints = tf.tidy(() => tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([2, 0, 2], 'int32')).arraySync());
    assert.deepEqual(ints, [[5, 6], [1, 2], [5, 6]]);
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([3], 'int32'))), /not in \[0, 2\]/);
  });

  it('Sum over leading axes (native), keepDims, and sums the stock kernel keeps (other axes, all axes, int32)', async () => {
    const cases: Array<[number[], number | number[], boolean]> = [
      [[64, 28, 28, 16], [0, 1, 2], false],
      [[32, 128], 0, false],
      [[3, 5, 7], [1, 0], true],
      [[4, 1], 0, false],
      [[7, 3], -2, true],
      [[1, 9], 0, false],
      [[5, 6, 7], [1], false],
      [[5, 6, 7], [0, 1, 2], false],
      [[5, 6, 7], [0, 2], false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const { err, shape: out } = await compare((x) => tf.sum(x!, axis, keepDims), [[rand(shape), shape]]);
      assert.ok(err <= 1e-4, `${shape} axis ${axis} keepDims ${keepDims}: relative error ${err}`);
      await tf.setBackend('cpu');
      assert.deepEqual(out, tf.tidy(() => tf.sum(tf.zeros(shape), axis, keepDims).shape));
    }
    await tf.setBackend('wasm');
    assert.deepEqual(tf.tidy(() => tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), 0).arraySync()), [9, 12]);
  });

  it('Add of a bias along the last axis (native), and every other broadcast through the stock kernel', async () => {
    const cases: Array<[number[], number[]]> = [[[64, 28, 28, 16], [16]], [[5, 7], [7]], [[3, 2, 5], [5]], [[1, 3], [3]], [[7], [7]], [[5, 7], [1, 7]], [[5, 1], [7]], [[16], [4, 16]], [[2, 3], []]];
    for (const [as, bs] of cases) {
      const { err } = await compare((a, b) => tf.add(a!, b!), [[rand(as), as], [rand(bs), bs]]);
      assert.ok(err <= 1e-6, `${as} + ${bs}: relative error ${err}`);
    }
    await tf.setBackend('wasm');
    assert.deepEqual(tf.tidy(() => tf.add(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor1d([10, 20], 'int32')).arraySync()), [[11, 22], [13, 24]]);
  });

  it('FusedAdam follows tfjs\' Adam step for step (weights and moments), and is tfjs\' Adam with the stock kernels', async () => {
    await tf.setBackend('wasm');
    const shapes = [[13, 7], [7], [3, 3, 2, 8], [1]];
    const init = shapes.map((s) => rand(s));
    const targets = shapes.map((s) => rand(s));
    const train = (optimizer: tf.Optimizer, steps: number): { weights: Float32Array[]; state: Float32Array[] } => {
      const vars = shapes.map((s, i) => tf.variable(tf.tensor(init[i]!, s)));
      const goal = shapes.map((s, i) => tf.tensor(targets[i]!, s));
      for (let step = 0; step < steps; step++) {
        // A loss whose gradients differ in sign and size per element.
        optimizer.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, goal[i]!)), tf.add(goal[i]!, 1.5))))) as tf.Scalar);
        if (step === 3) (optimizer as unknown as { learningRate: number }).learningRate = 0.003;
      }
      const out = { weights: vars.map((v) => v.dataSync().slice() as Float32Array), state: [] as Float32Array[] };
      return out;
    };
    const compareRuns = (a: Float32Array[], b: Float32Array[], tolerance: number, what: string) => {
      for (let i = 0; i < a.length; i++) {
        for (let j = 0; j < a[i]!.length; j++) {
          const err = Math.abs(a[i]![j]! - b[i]![j]!) / Math.max(1e-3, Math.abs(b[i]![j]!));
          assert.ok(err <= tolerance, `${what} ${i}[${j}]: ${a[i]![j]} against ${b[i]![j]}`);
        }
      }
    };
    const stock = tf.train.adam(0.01);
    const fused = new FusedAdam(0.01);
    const ref = train(stock, 8);
    const mine = train(fused, 8);
    // The same float32 operations in the same order: equal bit for bit.
    compareRuns(mine.weights, ref.weights, 0, 'weight');
    const moments = async (o: tf.Optimizer) => (await o.getWeights()).map((w) => w.tensor.dataSync().slice() as Float32Array);
    compareRuns(await moments(fused), await moments(stock), 0, 'optimizer state');
    assert.equal((await fused.getWeights()).length, (await stock.getWeights()).length);
    stock.dispose();
    fused.dispose();
    // With the stock kernels FusedAdam is tfjs' Adam, bit for bit.
    registerWasmKernels({ fast: false });
    const plain = train(tf.train.adam(0.01), 5);
    const fallback = train(new FusedAdam(0.01), 5);
    registerWasmKernels({ fast: true, native: false });
    compareRuns(fallback.weights, plain.weights, 0, 'stock-kernel weight');
  });

  it('native kernels write only their outputs: a tensor allocated around them keeps every value', async () => {
    await tf.setBackend('wasm');
    const sentinelValues = rand([4096]);
    const before = tf.tensor1d(sentinelValues);
    tf.tidy(() => {
      const x = tf.randomNormal([5, 9, 9, 3]);
      const f = tf.randomNormal([3, 3, 3, 8]);
      const bias = tf.randomNormal([8]);
      const loss = (xx: tf.Tensor, ff: tf.Tensor, bb: tf.Tensor) => {
        const h = tf.relu(tf.add(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same'), bb)) as tf.Tensor4D;
        return tf.add(tf.sum(tf.maxPool(h, 2, 2, 'valid')), tf.sum(tf.avgPool(h, 3, 2, 'same')));
      };
      tf.grads(loss)([x, f, bias]).forEach((g) => g.dataSync());
    });
    const after = tf.tensor1d(sentinelValues);
    const v = new FusedAdam(0.1);
    const w = tf.variable(tf.randomNormal([33]));
    for (let i = 0; i < 3; i++) v.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    assert.deepEqual(before.dataSync(), sentinelValues);
    assert.deepEqual(after.dataSync(), sentinelValues);
    tf.dispose([before, after, w]);
    v.dispose();
  });

  it('Identity shares memory instead of copying: a clone outlives its source, and FusedAdam never writes a shared moment', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { refCount(id: object): number };
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    assert.equal(b.dataId, a.dataId, 'one buffer for both');
    assert.equal(backend.refCount(a.dataId), 2);
    a.dispose();
    assert.deepEqual([...b.dataSync()], [1, 2, 3]);
    b.dispose();
    const opt = new FusedAdam(0.1);
    const w = tf.variable(tf.randomNormal([7]));
    for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    const moments = (opt as unknown as { accumulatedFirstMoment: Array<{ variable: tf.Variable }>; accumulatedSecondMoment: Array<{ variable: tf.Variable }> });
    const m = moments.accumulatedFirstMoment[0]!.variable;
    assert.equal(backend.refCount(m.dataId), 1, 'the moment is not shared');
    // A clone of a moment taken now keeps its values when the next step writes the moment in place.
    const snapshot = tf.clone(m);
    const before = [...snapshot.dataSync()];
    opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    assert.deepEqual([...snapshot.dataSync()], before);
    assert.notDeepEqual([...moments.accumulatedFirstMoment[0]!.variable.dataSync()], before);
    tf.dispose([snapshot, w]);
    opt.dispose();
  });

  it('conv2dTranspose (the same kernel used forward) agrees too', async () => {
    for (const [pad, stride] of [['same', 2], ['valid', 1], ['valid', 2]] as const) {
      const xs = [2, 5, 4, 3];
      const fs = [3, 3, 6, 3];
      const outShape: [number, number, number, number] = [2, stride === 2 ? (pad === 'same' ? 10 : 11) : 7, stride === 2 ? (pad === 'same' ? 8 : 9) : 6, 6];
      const { err } = await compare((x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, stride, pad), [[rand(xs), xs], [rand(fs), fs]]);
      assert.ok(err <= 1e-4, `${pad} stride ${stride}: relative error ${err}`);
    }
  });

  it('registerWasmKernels({ fast: false }) puts the stock kernels back, and fast: true tfsweep\'s again', () => {
    registerWasmKernels({ fast: false });
    for (const name of FAST_KERNELS) assert.ok(!isFastKernel(name), name);
    registerWasmKernels({ fast: true, native: false });
    for (const name of FAST_KERNELS) assert.ok(isFastKernel(name), name);
  });

  it('frees every intermediate: tensor count and bytes unchanged after gradients through all three kernels', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory();
    tf.tidy(() => {
      const x = tf.randomNormal([3, 9, 9, 2]);
      const f = tf.randomNormal([3, 3, 2, 4]);
      const wd = tf.randomNormal([4 * 5 * 5, 7]);
      const loss = (xx: tf.Tensor, ff: tf.Tensor) => tf.sum(tf.matMul(tf.reshape(tf.maxPool(tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, 1, 'same'), 2, 2, 'same'), [3, -1]), wd));
      tf.grads(loss)([x, f]).forEach((g) => g.dataSync());
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, activation: 'relu' })))([tf.randomNormal([4, 6]), tf.randomNormal([6, 5])]).forEach((g) => g.dataSync());
      tf.sum(tf.add(tf.randomNormal([6, 4]), tf.randomNormal([4])), 0).dataSync();
    });
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    // Fused Adam leaves what tfjs' Adam leaves (tfjs' optimizers keep one tensor after dispose: not ours to fix).
    const left = (optimizer: tf.Optimizer): number => {
      const start = tf.memory().numTensors;
      const v = tf.variable(tf.randomNormal([10, 3]));
      for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
      optimizer.dispose();
      v.dispose();
      return tf.memory().numTensors - start;
    };
    assert.equal(left(new FusedAdam(0.01)), left(tf.train.adam(0.01)));
  });
});
