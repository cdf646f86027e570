/**
 * The kernels through the CLI, as a user meets them: one-trial sweeps (`tfsweep run`, one worker) of the reference
 * models with `TFSWEEP_KERNELS=wasm` against `native`, rounds interleaved, training samples/s read from the
 * stored epochs (validation included), and the same seeded trial's validation accuracy on each path.
 *
 * The machine's speed drifts within a run, so the ratio is the median of each round's own.
 *
 *   npm run bench:cli-kernels     (BENCH_ROUNDS=5)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { median, writeResult } from './common.js';

const BIN = fileURLToPath(new URL('../../bin/tfsweep.js', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PATHS = ['wasm', 'native'] as const;

const MODELS: Array<[string, string]> = [
  ['MLP 784-128-10, batch 32', 'units: {values: [128]}\ntrain: {model: mlp, layers: 1, batch_size: 32, epochs: 2, train_size: 10000}'],
  ['MLP 784-512-512-512-10, batch 32', 'units: {values: [512]}\ntrain: {model: mlp, layers: 3, batch_size: 32, epochs: 2, train_size: 4000}'],
  ['CNN conv16-pool-conv32-pool-dense, batch 64', 'filters: {values: [16]}\ntrain: {model: cnn, conv_blocks: 2, layers: 0, kernel_size: 3, pool: max, batch_size: 64, epochs: 2, train_size: 4000}'],
];

/** One trial through the CLI on `kernels`: its training samples/s, validation accuracy and recorded backend. */
function trial(body: string, kernels: (typeof PATHS)[number]): { rate: number; accuracy: number; backend: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-cli-kernels-'));
  try {
    writeFileSync(path.join(dir, 's.yaml'), `name: k\nmethod: grid\nseed: 5\nworkers: 1\nparameters:\n  ${body}\n`);
    execFileSync(process.execPath, [BIN, 'run', 's.yaml', '--db', 'r.db'], { cwd: dir, env: { ...process.env, TFSWEEP_KERNELS: kernels }, stdio: 'ignore' });
    const db = new Database(path.join(dir, 'r.db'), { readonly: true });
    try {
      const epochs = db.prepare<[], { samples: number; ms: number }>('SELECT SUM(samples) AS samples, SUM(duration_ms) AS ms FROM epochs').get()!;
      const row = db.prepare<[], { value: number; backend: string }>('SELECT value, backend FROM trials').get()!;
      return { rate: epochs.samples / (epochs.ms / 1000), accuracy: row.value, backend: row.backend };
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [];
for (const [label, body] of MODELS) {
  const rates: Record<string, number[]> = { wasm: [], native: [] };
  const last: Record<string, { accuracy: number; backend: string }> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const kernels of PATHS) {
      const t = trial(body, kernels);
      rates[kernels]!.push(t.rate);
      last[kernels] = t;
    }
    console.error(`${label}, round ${r + 1}/${ROUNDS}: wasm ${rates.wasm![r]!.toFixed(0)}/s, ${last.native!.backend} ${rates.native![r]!.toFixed(0)}/s`);
  }
  const ratio = median(rates.native!.map((n, i) => n / rates.wasm![i]!));
  const row = { label, wasm: median(rates.wasm!), native: median(rates.native!), ratio, accuracy: { wasm: last.wasm!.accuracy, native: last.native!.accuracy }, backend: last.native!.backend };
  rows.push(row);
}
console.log(`\nOne-trial sweeps through the CLI, one worker, training samples/s from the stored epochs (validation included), median of ${ROUNDS} interleaved rounds (the ratio: the median of each round's own)`);
console.log('| model | wasm kernels samples/s | native samples/s | native / wasm | val_accuracy wasm | val_accuracy native |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.label} | ${r.wasm.toFixed(0)} | ${r.native.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.accuracy.wasm.toFixed(4)} | ${r.accuracy.native.toFixed(4)} |`);
console.log(`wrote ${writeResult('cli-kernels', rows)}`);
