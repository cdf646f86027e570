/**
 * The dispatch loop over the ask-and-tell layer: asks for trials while workers are free, runs them on the
 * pool, tells the results, and leaves the database consistent however it stops. This thread is the only
 * writer: workers report over message ports.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { SpecError, UsageError, errorMessage } from '../errors.js';
import { loadObjective } from '../worker/program.js';
import type { LoadedSpec } from '../spec/types.js';
import type { Storage, TrialRecord } from '../storage/storage.js';
import { resolveTrainConfig } from '../trainer/knobs.js';
import { DatasetError, loadDataset } from '../trainer/datasets.js';
import { trialModelDir } from '../trainer/model-io.js';
import type { TaskRequest, TrialResult } from '../worker/protocol.js';
import type { SweepListener, SweepOutcome } from './events.js';
import { TrialPool } from './pool.js';
import { Sweep } from './sweep.js';

export interface RunSweepOptions {
  loaded: LoadedSpec;
  storage: Storage;
  /** Parallel trials; overrides the file's `workers`; default os.availableParallelism(). */
  workers?: number;
  /** Abort to stop: no new trials, running ones become interrupted. */
  signal?: AbortSignal;
  onEvent?: SweepListener;
  /** Where trained models are saved (one folder per trial), or null to save none. */
  modelsDir?: string | null;
}

/**
 * A program that cannot be loaded would fail every trial the same way: this says so once, as a SpecError
 * (exit 2), before anything is written. It imports the module in this thread, running its top level.
 */
export async function checkProgram(loaded: LoadedSpec): Promise<void> {
  if (!loaded.spec.program) return;
  try {
    await loadObjective(pathToFileURL(loaded.spec.program).href);
  } catch (err) {
    throw new SpecError(`cannot load the objective: ${errorMessage(err)}`, loaded.file, 'program');
  }
}

/** A model save interrupted by a crash leaves `trial-NNNN.tmp-PID`: nothing refers to it, so it goes. */
function removeUnfinishedSaves(modelsDir: string): void {
  if (!existsSync(modelsDir)) return;
  for (const name of readdirSync(modelsDir)) {
    if (/^trial-\d+\.tmp-\d+$/.test(name)) rmSync(path.join(modelsDir, name), { recursive: true, force: true });
  }
}

/** A dataset that cannot be read is the user's input error: exit 2, before anything is written. */
export function checkDataset(loaded: LoadedSpec): void {
  if (loaded.spec.program) return;
  try {
    loadDataset(loaded.spec.train.dataset);
  } catch (err) {
    if (err instanceof DatasetError) throw new SpecError(err.message, loaded.file, 'train.dataset', undefined, { cause: err });
    throw err;
  }
}

export async function runSweep(options: RunSweepOptions): Promise<SweepOutcome> {
  const { storage } = options;
  const emit: SweepListener = options.onEvent ?? (() => {});
  const requested = options.workers ?? options.loaded.spec.workers ?? os.availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new UsageError(`--workers: expected an integer ≥ 1, got ${requested}`);

  await checkProgram(options.loaded);
  checkDataset(options.loaded);
  const opened = Sweep.open(storage, options.loaded);
  if (!opened.sweep) {
    const sweep = opened.finished!;
    const outcome: SweepOutcome = { status: 'already-finished', sweep, message: `sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})` };
    emit({ type: 'sweep-end', outcome });
    return outcome;
  }
  const sweep = opened.sweep;
  const { spec } = sweep;
  const remaining = Math.max(0, (sweep.planned ?? Infinity) - sweep.completed);
  const workers = Math.max(1, Math.min(requested, remaining));
  emit({
    type: 'sweep-start',
    sweep: sweep.record,
    resumed: sweep.resumed,
    interrupted: sweep.interruptedOnOpen,
    completed: sweep.completed,
    planned: sweep.planned,
    workers,
  });

  const programUrl = spec.program ? pathToFileURL(spec.program).href : null;
  const dataset = programUrl ? null : loadDataset(spec.train.dataset);
  const pool = new TrialPool(workers, { dataset: dataset && { name: dataset.name, classes: dataset.classes, train: dataset.train, test: dataset.test } });
  const modelsDir = programUrl || spec.save_models === 0 ? null : (options.modelsDir ?? null);
  if (modelsDir) removeUnfinishedSaves(modelsDir);
  const abort = new AbortController();
  const onUserAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onUserAbort, { once: true });
  if (options.signal?.aborted) abort.abort();

  const taskFor = (trial: TrialRecord): TaskRequest => {
    const base = { trialId: trial.id, number: trial.number, params: trial.params, trialSeed: trial.seed };
    return programUrl
      ? { ...base, kind: 'program', programUrl, metricName: spec.metric.name }
      : {
          ...base,
          kind: 'train',
          config: resolveTrainConfig(spec.train, trial.params),
          sweepSeed: spec.seed,
          executions: spec.executions_per_trial,
          modelDir: modelsDir ? trialModelDir(modelsDir, trial.number) : null,
        };
  };

  const running = new Map<number, Promise<void>>();
  const launch = (trial: TrialRecord & { rerun: boolean }): void => {
    const task = taskFor(trial);
    emit({ type: 'trial-start', trial, rerun: trial.rerun, totalEpochs: task.kind === 'train' ? task.config.epochs * task.executions : null });
    const settled = pool
      .run(
        task,
        (message) => {
          if (message.type === 'started') {
            if (message.backend) sweep.setBackend(trial, message.backend);
            emit({ type: 'trial-backend', trial, backend: message.backend });
          } else if (message.type === 'epoch') {
            sweep.report(trial, message.epoch);
            emit({ type: 'epoch', trial, epoch: message.epoch, totalEpochs: message.totalEpochs });
          }
        },
        abort.signal,
      )
      .then(
        (result: TrialResult) => {
          if (result.backend) sweep.setBackend(trial, result.backend);
          if (result.modelPath) sweep.setModelPath(trial, result.modelPath);
          emit({ type: 'trial-end', trial: sweep.tell(trial, result.metrics, result.epochs, result.executions), result });
        },
        (err: unknown) => {
          // Aborted trials are not failures: close() marks them interrupted.
          if (!abort.signal.aborted) emit({ type: 'trial-end', trial: sweep.fail(trial, err) });
        },
      )
      .finally(() => running.delete(trial.id));
    running.set(trial.id, settled);
  };

  /**
   * After the last trial: the best model is evaluated once on the test split (stored, never used to select),
   * and saved models beyond the best `save_models` are removed.
   */
  const finalizeModels = async (): Promise<void> => {
    const ranked = sweep.ranked();
    const best = ranked[0];
    if (dataset?.test && best?.modelPath && !best.testMetrics && existsSync(best.modelPath)) {
      const result = await pool.run({ kind: 'evaluate', trialId: best.id, modelDir: best.modelPath }, () => {}, abort.signal);
      sweep.setTestMetrics(best, { test_loss: result.metrics.loss!, test_accuracy: result.metrics.accuracy! });
    }
    if (spec.save_models !== null) {
      for (const trial of ranked.slice(spec.save_models)) {
        if (!trial.modelPath) continue;
        rmSync(trial.modelPath, { recursive: true, force: true });
        sweep.setModelPath(trial, null);
      }
    }
  };

  let finalizeProblem = '';
  try {
    for (;;) {
      while (!abort.signal.aborted && running.size < workers) {
        const trial = sweep.ask();
        if (!trial) break;
        launch(trial);
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    if (!abort.signal.aborted && sweep.done && sweep.stopReason === null && modelsDir) {
      // The trials are all recorded by now: a failure here is reported, not allowed to undo the sweep.
      try {
        await finalizeModels();
      } catch (err) {
        finalizeProblem = `; the test-split evaluation failed: ${errorMessage(err)}`;
      }
    }
  } finally {
    if (abort.signal.aborted) await Promise.allSettled(running.values());
    options.signal?.removeEventListener('abort', onUserAbort);
    await pool.destroy();
  }

  const closed = sweep.close(abort.signal.aborted);
  const outcome: SweepOutcome = { status: closed.status, sweep: sweep.record, message: closed.message + finalizeProblem };
  emit({ type: 'sweep-end', outcome });
  return outcome;
}
