/**
 * Training throughput of a bare tfjs `model.fit` with the wasm backend's stock kernels against tfsweep's wasm
 * kernels and its native ones (where the addon was built and the CPU has AVX2 and FMA), side by side in one
 * process (the kernels are swapped between runs, rounds interleaved), and PyTorch on the same core as the
 * reference where `python3` has `torch`, run in each round too. Median of BENCH_ROUNDS (≥ 3).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { median } from 'simple-statistics';
import { registerWasmKernels } from '../src/trainer/wasm-kernels.js';
import { nativeAddon } from '../src/trainer/native/addon.js';
import { FusedAdam } from '../src/trainer/wasm/adam.js';
import { loadMnist } from '../src/trainer/mnist.js';
import { referenceModel, type ReferenceModel } from './models.js';

export interface KernelCase {
  label: string;
  model: ReferenceModel;
  batch: number;
  samples: number;
}

export const KERNEL_CASES: KernelCase[] = [
  { label: 'MLP 784-128-10, batch 32', model: 'mlp', batch: 32, samples: 8000 },
  { label: 'MLP 784-128-10, batch 128', model: 'mlp', batch: 128, samples: 8000 },
  { label: 'MLP 784-512-512-512-10, batch 32', model: 'mlp-3x512', batch: 32, samples: 2000 },
  { label: 'CNN conv16-pool-conv32-pool-dense, batch 64', model: 'cnn', batch: 64, samples: 2000 },
];

/**
 * Samples/s of one epoch of model.fit (after one warm-up epoch), Adam, the first `samples` MNIST images: tfjs'
 * Adam with the stock kernels, tfsweep's (one fused kernel per weight tensor) with tfsweep's.
 */
async function fitRate(c: KernelCase, fast: boolean): Promise<number> {
  const mnist = loadMnist();
  const x = tf.tensor4d(Float32Array.from(mnist.train.images.subarray(0, c.samples * 784), (v) => v / 255), [c.samples, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(mnist.train.labels.subarray(0, c.samples)), 'int32'), 10);
  const model = referenceModel(c.model);
  const optimizer = fast ? new FusedAdam(1e-3) : tf.train.adam(1e-3);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const fit = () => model.fit(x, y, { epochs: 1, batchSize: c.batch, shuffle: false, verbose: 0, yieldEvery: 'never' });
  await fit();
  const t0 = performance.now();
  await fit();
  const rate = c.samples / ((performance.now() - t0) / 1000);
  model.dispose();
  optimizer.dispose();
  tf.dispose([x, y]);
  return rate;
}

const TORCH_SCRIPT = `
import sys, time, json, torch, torch.nn as nn
torch.set_num_threads(1)
kind, batch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
if kind == 'cnn':
    m = nn.Sequential(nn.Conv2d(1,16,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(), nn.Linear(32*7*7,10))
else:
    hidden = [128] if kind == 'mlp' else [512,512,512]
    layers, prev = [nn.Flatten()], 784
    for h in hidden: layers += [nn.Linear(prev,h), nn.ReLU()]; prev = h
    m = nn.Sequential(*layers, nn.Linear(prev,10))
x = torch.rand(n,1,28,28); y = torch.randint(0,10,(n,))
opt = torch.optim.Adam(m.parameters(), 1e-3); lossf = nn.CrossEntropyLoss()
def epoch():
    for i in range(0, n, batch):
        opt.zero_grad(); loss = lossf(m(x[i:i+batch]), y[i:i+batch]); loss.backward(); opt.step()
epoch(); t = time.perf_counter(); epoch(); print(json.dumps(n / (time.perf_counter() - t)))
`;

/** Pythons to try for PyTorch: BENCH_PYTHON, Debian's (where python3-torch installs), then the one on PATH. */
const PYTHONS = [process.env.BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));

/** PyTorch's samples/s for the same model and batch on one thread, or null where torch is missing. */
function torchRate(c: KernelCase): number | null {
  const script = path.join(os.tmpdir(), `tfsweep-bench-torch-${process.pid}.py`);
  writeFileSync(script, TORCH_SCRIPT);
  // OpenBLAS settings some machines carry for old builds would slow the reference: not for this command.
  const { OPENBLAS_CORETYPE: _coretype, OPENBLAS_L2_SIZE: _l2, ...env } = process.env;
  for (const python of PYTHONS) {
    try {
      const out = execFileSync(python, [script, c.model, String(c.batch), String(c.samples * 2)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
      return Number(out.trim());
    } catch {
      // not this python
    }
  }
  return null;
}

export interface KernelResult {
  label: string;
  stock: number;
  /** tfsweep's wasm kernels. */
  tfsweep: number;
  speedup: number;
  /** tfsweep's native kernels, or null where they cannot run. */
  native: number | null;
  torch: number | null;
  /** Medians of the rounds' own ratios to PyTorch, or null where it is missing. */
  wasmVsTorch: number | null;
  nativeVsTorch: number | null;
}

/**
 * Stock, tfsweep's wasm and native kernels on the wasm backend (already set) and PyTorch, one after the other in
 * each round: the machine's speed drifts, so each ratio to PyTorch is the median of the rounds' own ratios.
 */
export async function compareKernels(rounds: number, log: (line: string) => void): Promise<KernelResult[]> {
  const results: KernelResult[] = [];
  for (const c of KERNEL_CASES) {
    const stock: number[] = [];
    const fast: number[] = [];
    const native: number[] = [];
    const torch: number[] = [];
    for (let r = 0; r < rounds; r++) {
      registerWasmKernels({ fast: false });
      stock.push(await fitRate(c, false));
      registerWasmKernels({ fast: true, native: false });
      fast.push(await fitRate(c, true));
      if (nativeAddon()) {
        registerWasmKernels({ fast: true, native: true });
        native.push(await fitRate(c, true));
      }
      const t = torchRate(c);
      if (t !== null) torch.push(t);
      log(`${c.label}, round ${r + 1}/${rounds}: stock ${stock[r]!.toFixed(0)}/s, tfsweep wasm ${fast[r]!.toFixed(0)}/s${native.length ? `, native ${native[r]!.toFixed(0)}/s` : ''}${t !== null ? `, PyTorch ${t.toFixed(0)}/s` : ''}`);
    }
    const perRound = (mine: number[]): number | null => (torch.length === rounds && mine.length === rounds ? median(mine.map((v, i) => v / torch[i]!)) : null);
    results.push({
      label: c.label,
      stock: median(stock),
      tfsweep: median(fast),
      speedup: median(fast) / median(stock),
      native: native.length ? median(native) : null,
      torch: torch.length ? median(torch) : null,
      wasmVsTorch: perRound(fast),
      nativeVsTorch: perRound(native),
    });
  }
  registerWasmKernels({ fast: true });
  return results;
}

export function kernelTable(results: KernelResult[], rounds: number): string {
  const lines = [
    `\nwasm backend, bare model.fit (Adam), one thread, stock kernels vs tfsweep's wasm and native kernels and PyTorch, median of ${rounds} interleaved rounds (ratios to PyTorch: the median of each round's own)`,
    '| model | stock wasm samples/s | tfsweep wasm kernels samples/s | speed-up | tfsweep native samples/s | native / wasm kernels | PyTorch 1 thread samples/s | wasm kernels / PyTorch | native / PyTorch |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const ratio = (a: number | null, b: number | null, digits = 3): string => (a === null || b === null ? '–' : (a / b).toFixed(digits));
  for (const r of results) {
    const torch = r.torch === null ? 'not installed' : r.torch.toFixed(0);
    const native = r.native === null ? 'not built' : r.native.toFixed(0);
    const of = (v: number | null): string => (v === null ? '–' : v.toFixed(3));
    lines.push(`| ${r.label} | ${r.stock.toFixed(0)} | ${r.tfsweep.toFixed(0)} | ${r.speedup.toFixed(2)}× | ${native} | ${ratio(r.native, r.tfsweep, 2)}× | ${torch} | ${of(r.wasmVsTorch)} | ${of(r.nativeVsTorch)} |`);
  }
  return lines.join('\n');
}
