/**
 * seededDropout: tfjs' Dropout with a new mask at every training step, drawn from a seeded stream; the identity
 * outside training; the same masks in every run and on every kernel path (the native addon's stream equals the
 * JavaScript one); serialised as a plain Dropout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { dropoutMask, seededDropout } from '../../src/trainer/dropout.js';
import { nativeAddon } from '../../src/trainer/native/addon.js';
import { registerWasmKernels } from '../../src/trainer/wasm-kernels.js';

const masks = (rate: number, seed: number, steps: number, shape = [4, 50]): number[][] => {
  const layer = seededDropout(rate, seed);
  const x = tf.ones(shape);
  const out = Array.from({ length: steps }, () => Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync()));
  x.dispose();
  return out;
};

describe('seeded dropout', () => {
  it('draws a new mask at every training step, the same ones in every run of the same seed, others for another seed', async () => {
    await tf.setBackend('cpu');
    const first = masks(0.5, 11, 3);
    assert.notDeepEqual(first[0], first[1]);
    assert.notDeepEqual(first[1], first[2]);
    assert.deepEqual(masks(0.5, 11, 3), first);
    assert.notDeepEqual(masks(0.5, 12, 1)[0], first[0]);
  });

  it('drops the rate of units and scales the rest by 1 / (1 − rate), within binomial bounds', async () => {
    await tf.setBackend('cpu');
    for (const rate of [0.1, 0.25, 0.5, 0.8]) {
      const values = masks(rate, 3, 10, [100, 100]).flat();
      const kept = values.filter((v) => v !== 0);
      // 100,000 draws: the kept share is within 4 standard deviations of 1 − rate.
      const sd = Math.sqrt((rate * (1 - rate)) / values.length);
      assert.ok(Math.abs(kept.length / values.length - (1 - rate)) < 4 * sd, `rate ${rate}: kept ${kept.length / values.length}`);
      assert.ok(kept.every((v) => v === Math.fround(1 / (1 - rate))), `rate ${rate}: kept values`);
    }
  });

  it('is the identity outside training, and tfjs\' Dropout in its config (a saved model loads it as one)', async () => {
    await tf.setBackend('cpu');
    const layer = seededDropout(0.4, 9);
    const x = tf.randomNormal([3, 7]);
    assert.deepEqual(Array.from((layer.apply(x, { training: false }) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
    assert.deepEqual(Array.from((layer.apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
    assert.equal(layer.getClassName(), 'Dropout');
    assert.equal(layer.getConfig()['rate'], 0.4);
    assert.equal(layer.getConfig()['seed'], 9);
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [7], units: 5 }), seededDropout(0.4, 9)] });
    const json = model.toJSON(undefined, false) as { config: { layers: Array<{ class_name: string }> } };
    assert.deepEqual(json.config.layers.map((l) => l.class_name), ['Dense', 'Dropout']);
    x.dispose();
    model.dispose();
  });

  it('its gradient is the mask: the dropped units get none, the kept ones 1 / (1 − rate)', async () => {
    await tf.setBackend('cpu');
    const layer = seededDropout(0.5, 21);
    const x = tf.ones([2, 16]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t, { training: true }) as tf.Tensor))(x);
    const again = seededDropout(0.5, 21).apply(x, { training: true }) as tf.Tensor;
    assert.deepEqual(Array.from(g.dataSync()), Array.from(again.dataSync()));
    tf.dispose([x, g, again]);
  });

  it('the native kernel draws the same masks as JavaScript, tails included', { skip: nativeAddon() ? false : 'the native addon is not built here' }, async () => {
    await tf.setBackend('wasm');
    registerWasmKernels({ fast: true, native: true });
    for (const [shape, counter] of [[[3, 5], 0], [[64, 7, 7, 32], 9], [[1], 4294967295], [[17, 9], 123456]] as Array<[number[], number]>) {
      const attrs = { shape, seed: 2654435761, counter, threshold: Math.floor(0.7 * 2 ** 24), scale: 1 / 0.7 };
      const native = Array.from(dropoutMask(attrs).dataSync());
      await tf.setBackend('cpu');
      const js = Array.from(dropoutMask(attrs).dataSync());
      await tf.setBackend('wasm');
      assert.deepEqual(native, js, `${shape} call ${counter}`);
    }
    assert.deepEqual(await (async () => { await tf.setBackend('wasm'); return masks(0.3, 5, 2); })(), await (async () => { await tf.setBackend('cpu'); return masks(0.3, 5, 2); })());
  });
});
