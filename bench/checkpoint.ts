/**
 * What checkpointing costs, against an epoch of the reference MLP (784-128-10, Adam, batch 32) measured in
 * the same run: the capture the worker does after each epoch (weights, Adam's moments, the data order: the
 * time from the epoch's report to the checkpoint's hand-off, which holds up the next epoch) plus the write
 * of that checkpoint into a SQLite file (done by the main thread while the next epoch trains; counted in
 * full all the same). Medians over the epochs of several rounds. Target: at most 5% of an epoch.
 *
 *   npm run bench:checkpoint        (BENCH_ROUNDS=3; 6 epochs on 20,000 images per round)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from 'simple-statistics';
import { initBackend } from '../src/trainer/backend.js';
import { defaultTrainConfig } from '../src/trainer/knobs.js';
import { loadMnist } from '../src/trainer/mnist.js';
import { trainTrial } from '../src/trainer/train.js';
import type { Captured } from '../src/trainer/checkpoint.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { writeResult } from './common.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EPOCHS = 6;
const TRAIN_SIZE = 20_000;

const backend = await initBackend();
const mnist = loadMnist();
const data = { train: mnist.train, classes: mnist.classes };
const config = { ...defaultTrainConfig(), epochs: EPOCHS, train_size: TRAIN_SIZE, units: 128, batch_size: 32 };

const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-ckpt-'));
const storage = new SqliteStorage(path.join(dir, 'ckpt.db'));
const loaded = parseSpecText('name: ckpt\nmethod: grid\nparameters:\n  units: {values: [128]}\n', path.join(dir, 'ckpt.yaml'), dir);
const { sweep } = await storage.joinSweep(loaded.spec, loaded.source);
const proc = await storage.registerProcess(sweep.id, { host: 'bench', pid: process.pid, token: 'bench' }, 1);

const epochMs: number[] = [];
const captureMs: number[] = [];
const writeMs: number[] = [];
let bytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  const trial = (await storage.claimTrial(sweep.id, proc.id, (v) => ({ configIndex: v.nextIndex, params: { units: 128 }, distributions: {}, seed: round })))!;
  let reported = 0;
  const captured: Captured[] = [];
  await trainTrial({
    config,
    data,
    sweepSeed: 1,
    trialSeed: round,
    onEpoch: (e) => {
      reported = performance.now();
      epochMs.push(e.durationMs!);
    },
    onCheckpoint: (c) => {
      captureMs.push(performance.now() - reported);
      captured.push(c);
    },
  });
  for (const c of captured) {
    const t = performance.now();
    await storage.saveCheckpoint(trial.id, { execution: 0, epoch: c.state.epoch, state: c.state, data: Buffer.from(c.data) });
    writeMs.push(performance.now() - t);
    bytes = c.data.byteLength;
  }
  await storage.failTrial(trial.id, 'bench', []);
}
await storage.close();
rmSync(dir, { recursive: true, force: true });

const epoch = median(epochMs);
const cost = median(captureMs) + median(writeMs);
console.log(`\nCheckpoint cost, reference MLP 784-128-10 (Adam, batch 32), ${TRAIN_SIZE} images, ${backend}, ${ROUNDS} rounds of ${EPOCHS} epochs (medians)`);
console.log('| epoch (ms) | capture in the worker (ms) | write to SQLite (ms) | share of an epoch | checkpoint size |');
console.log('| --- | --- | --- | --- | --- |');
console.log(`| ${epoch.toFixed(0)} | ${median(captureMs).toFixed(1)} | ${median(writeMs).toFixed(1)} | ${((100 * cost) / epoch).toFixed(2)}% | ${(bytes / 1e6).toFixed(2)} MB |`);
console.log(`\nwrote ${writeResult('checkpoint', { backend, epoch_ms: epochMs, capture_ms: captureMs, write_ms: writeMs, checkpoint_bytes: bytes, share: cost / epoch })}`);
