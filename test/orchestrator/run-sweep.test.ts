import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SweepEvent } from '../../src/orchestrator/events.js';
import { runSweep } from '../../src/orchestrator/run-sweep.js';
import { RandomSampler } from '../../src/samplers/random.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';

describe('runSweep (library API, real worker threads)', () => {
  it("returns each worker's tensor count to its baseline after every trial, and records every event", async () => {
    const loaded = parseSpecText(
      'name: lib\nmethod: random\nseed: 4\nrun_cap: 3\nparameters:\n  units: {values: [8, 16]}\n  learning_rate: {distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-2}\ntrain: {epochs: 2, train_size: 200}\n',
      'lib.yaml',
    );
    const storage = new SqliteStorage(':memory:');
    const events: SweepEvent[] = [];
    const modelsDir = path.join(tempDir(), 'lib');
    mkdirSync(path.join(modelsDir, 'trial-0007.tmp-4242'), { recursive: true });
    const outcome = await runSweep({ loaded, storage, workers: 1, onEvent: (e) => events.push(e), modelsDir });
    assert.equal(outcome.status, 'finished');

    const ends = events.filter((e): e is Extract<SweepEvent, { type: 'trial-end' }> => e.type === 'trial-end');
    assert.equal(ends.length, 3);
    const baselines = ends.map((e) => e.result!.tensorsBefore);
    for (const e of ends) assert.equal(e.result!.tensorsAfter, e.result!.tensorsBefore, `trial ${e.trial.number} leaked tensors`);
    assert.equal(new Set(baselines).size, 1, `the baseline drifted across trials: ${baselines.join(', ')}`);

    assert.deepEqual(
      events.map((e) => e.type),
      ['sweep-start', ...Array(3).fill(['trial-start', 'trial-backend', 'epoch', 'epoch', 'trial-end']).flat(), 'evaluating', 'sweep-end'],
    );
    const trials = await storage.listTrials(outcome.sweep.id, { withEpochs: true });
    // The same seed gives the same configurations as the sampler alone.
    const sampler = new RandomSampler(loaded.spec.parameters, 4);
    assert.deepEqual(trials.map((t) => t.params), [0, 1, 2].map((i) => sampler.sample(i)));
    for (const t of trials) {
      assert.equal(t.state, 'complete');
      assert.match(t.backend!, /^(wasm \((native|wasm|stock) kernels\)|tensorflow|cpu)$/);
      assert.deepEqual(t.epochs!.map((e) => e.epoch), [1, 2]);
      assert.equal(t.value, t.epochs![1]!.metrics.val_accuracy);
    }
    // Models saved per trial, an interrupted save's leftovers removed, the best evaluated on the test split.
    assert.deepEqual(readdirSync(modelsDir).sort(), ['trial-0000', 'trial-0001', 'trial-0002']);
    const ranked = [...trials].sort((a, b) => b.value! - a.value! || a.number - b.number);
    assert.ok(ranked[0]!.testMetrics!.test_accuracy! > 0.1, JSON.stringify(ranked[0]!.testMetrics));
    assert.equal(ranked[1]!.testMetrics, null);
    await storage.close();
  });
});
