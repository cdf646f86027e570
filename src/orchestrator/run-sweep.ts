/**
 * The dispatch loop over the ask-and-tell layer: asks for trials while workers are free, runs them on the
 * pool, tells the results, and leaves the database consistent however it stops. This thread is the only
 * writer: workers report over message ports, and each trial's writes are made one after the other.
 *
 * However it stops, trials in flight are recorded `interrupted` (they run again on resume), never `failed`:
 * a failure is the trial's own, an interruption is the sweep's. A database that cannot be written (disk
 * full, locked beyond the busy timeout) stops the sweep the same way, with a one-line StorageError.
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { StorageError, UsageError, errorMessage } from '../errors.js';
import { modelsDirFor } from '../files/model-folders.js';
import { MAX_WORKERS } from '../sweep-file/schema.js';
import type { LoadedSpec } from '../sweep-file/types.js';
import { FinishedTrialError, type Metrics, type Storage, type TrialRecord } from '../storage/storage.js';
import { resolveTrainConfig } from '../trainer/knobs.js';
import { loadDataset } from '../trainer/datasets.js';
import type { Dataset } from '../trainer/mnist.js';
import type { TaskRequest, TrialResult, WorkerInit, WorkerMessage } from '../worker/protocol.js';
import type { SweepListener, SweepOutcome } from './events.js';
import { finalizeModels, needsFinalizing } from './finalize.js';
import { DatabaseKeeper, FolderKeeper, type ModelKeeper } from './model-keeper.js';
import { TrialPool } from './pool.js';
import { CONTINUE, PRUNE, abortDecisions, answer, newDecisions } from '../worker/decisions.js';
import { setTimeout as delay } from 'node:timers/promises';
import { checkDataset, checkProgram } from './preflight.js';
import { Sweep } from './sweep.js';

export { checkDataset, checkProgram } from './preflight.js';

export { MAX_WORKERS };

/** How often a process with a free worker looks for trials to claim (re-runs of gone processes' trials). */
const POLL_MS = 1000;

export interface RunSweepOptions {
  loaded: LoadedSpec;
  storage: Storage;
  /** Parallel trials (1–256); overrides the file's `workers`; default os.availableParallelism(). */
  workers?: number;
  /** Seconds after which no new trial starts (overrides the file's max_time; null: no limit). */
  maxTime?: number | null;
  /** Abort to stop: no new trials, running ones become interrupted. */
  signal?: AbortSignal;
  onEvent?: SweepListener;
  /**
   * Where trained models are saved (one `trial-NNNN` folder per trial), or null to save none. tfsweep only
   * ever deletes `trial-NNNN` folders directly inside it. The CLI uses `modelsDirFor(db, sweep name)` for a
   * SQLite file. Not given: a database that keeps models itself (PostgreSQL) keeps them; otherwise none.
   */
  modelsDir?: string | null;
}


/** A PostgreSQL server error, or the connection to it failing (refused, reset, ended). */
function isPostgresFailure(err: unknown): boolean {
  const e = err as { name?: string; code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'DatabaseError' && typeof e.code === 'string') return true;
  if (typeof e.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH)$/.test(e.code)) return true;
  return typeof e.message === 'string' && /^Connection terminated|timeout exceeded when trying to connect/.test(e.message);
}

function asFatal(err: unknown): unknown {
  if (err instanceof FinishedTrialError) {
    return new StorageError(`${err.message}; the sweep stopped, and everything recorded before is kept: run the same command again to resume`, { cause: err });
  }
  if (err instanceof Database.SqliteError || isPostgresFailure(err)) {
    return new StorageError(
      `the database could not be written (${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}); the sweep stopped, and everything recorded before is kept: fix that and run the same command again to resume`,
      { cause: err },
    );
  }
  return err;
}

/** What the worker pool is given of a dataset, once, as shared memory. */
function poolData(dataset: Dataset): NonNullable<WorkerInit['dataset']> {
  return { name: dataset.name, classes: dataset.classes, train: dataset.train, test: dataset.test };
}

/** Test-split loss and accuracy of the saved model in `modelDir`, computed by a worker of `pool`. */
async function evaluateOnTest(pool: TrialPool, trial: TrialRecord, modelDir: string, signal: AbortSignal): Promise<Metrics> {
  const result = await pool.run({ kind: 'evaluate', trialId: trial.id, modelDir }, () => {}, signal);
  return { test_loss: result.metrics.loss!, test_accuracy: result.metrics.accuracy! };
}

/** Finalizes a finished sweep whose finishing process was cut short; says what it did, if anything. */
async function finalizeLate(loaded: LoadedSpec, storage: Storage, sweepId: number, keeper: ModelKeeper): Promise<string> {
  const { spec } = loaded;
  const dataset = spec.program ? null : loadDataset(spec.train.dataset);
  const trials = await storage.listTrials(sweepId);
  if (!needsFinalizing(trials, spec.metric.goal, spec.save_models, Boolean(dataset?.test))) return '';
  const pool = dataset?.test ? new TrialPool(1, { dataset: poolData(dataset) }) : null;
  try {
    await finalizeModels({
      storage,
      sweepId,
      goal: spec.metric.goal,
      saveModels: spec.save_models,
      keeper,
      evaluate: pool ? (trial, modelDir) => evaluateOnTest(pool, trial, modelDir, new AbortController().signal) : null,
    });
  } finally {
    await pool?.destroy();
  }
  return '; its models were finalized now (test-split evaluation, save_models)';
}

/** Folders when given one; else the database's own model store, if it has one; else no models. */
function keeperFor(storage: Storage, modelsDir: string | null | undefined): ModelKeeper | null {
  if (modelsDir) return new FolderKeeper(storage, modelsDir);
  if (modelsDir === undefined && storage.models) return new DatabaseKeeper(storage.models);
  return null;
}

export async function runSweep(options: RunSweepOptions): Promise<SweepOutcome> {
  const { storage } = options;
  const emit: SweepListener = options.onEvent ?? (() => {});
  const requested = options.workers ?? options.loaded.spec.workers ?? os.availableParallelism();
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_WORKERS) {
    throw new UsageError(`--workers: expected an integer from 1 to ${MAX_WORKERS}, got ${requested}`);
  }

  await checkProgram(options.loaded);
  checkDataset(options.loaded);
  const { spec: loadedSpec } = options.loaded;
  // Why the database makes this process wait (another process holds its lock), said as it happens: from
  // the first write on, joining the sweep included.
  storage.onNotice = (message) => emit({ type: 'warning', message });
  const opened = await Sweep.open(storage, options.loaded, { workers: requested, ...(options.maxTime !== undefined ? { maxTime: options.maxTime } : {}) });
  const models = loadedSpec.program || loadedSpec.save_models === 0 ? null : keeperFor(storage, options.modelsDir);
  if (!opened.sweep) {
    const sweep = opened.finished!;
    // Leftovers of a run that was cut short are removed even when nothing is left to run, and a finishing
    // process that died before the test-split evaluation (or before deleting surplus models) is made good.
    let note = '';
    try {
      if (models) {
        await models.removeOrphans(sweep.id);
        note = await finalizeLate(options.loaded, storage, sweep.id, models);
      }
    } finally {
      models?.close();
    }
    storage.onNotice = undefined;
    const outcome: SweepOutcome = { status: 'already-finished', sweep, message: `sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})${note}` };
    emit({ type: 'sweep-end', outcome });
    return outcome;
  }
  const sweep = opened.sweep;
  const { spec } = sweep;
  const remaining = Math.max(0, (sweep.planned ?? Infinity) - sweep.completed);
  const workers = Math.max(1, Math.min(requested, remaining));
  const abort = new AbortController();
  let fatal: unknown = null;
  /** The database (or tfsweep itself) failed: stop everything; the error is rethrown once all is settled. */
  const die = (err: unknown): void => {
    if (err instanceof FinishedTrialError && fatal === null) {
      // A write refused because the trial no longer runs: most likely this process was declared gone (a
      // peer judged it silent) and its trials run elsewhere. Then it stops as at its next heartbeat.
      leaseChecks.push(
        sweep.lostLease().then((gone) => {
          if (!gone) {
            fatal ??= err;
            abort.abort();
          }
        }),
      );
      return;
    }
    fatal ??= err;
    abort.abort();
  };
  const leaseChecks: Promise<void>[] = [];
  const onUserAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onUserAbort, { once: true });
  if (options.signal?.aborted) abort.abort();
  // `tfsweep stop --now`, or this process declared gone by the others: interrupt what runs here.
  sweep.interruptSignal.addEventListener('abort', onUserAbort, { once: true });

  let pool: TrialPool | null = null;
  const running = new Map<number, Promise<void>>();
  let finalizeProblem = '';
  let savesFailed = 0;
  try {
    await models?.removeOrphans(sweep.record.id);
    emit({
      type: 'sweep-start',
      sweep: sweep.record,
      resumed: sweep.resumed,
      interrupted: sweep.interruptedOnOpen,
      completed: sweep.completed,
      pruned: sweep.pruned,
      planned: sweep.planned,
      workers,
      processId: sweep.process.id,
    });
    const programUrl = spec.program ? pathToFileURL(spec.program).href : null;
    const dataset = programUrl ? null : loadDataset(spec.train.dataset);
    const activePool = (pool = new TrialPool(workers, {
      dataset: dataset && poolData(dataset),
    }));

    /** Said once per process: steps reported without the sweep's metric are not judged. */
    let warnedUnjudged = false;
    /** Each running trial's shared cell for pruning decisions (with a pruner). */
    const decisions = new Map<number, SharedArrayBuffer>();
    // However the sweep stops, a worker waiting for a decision is woken (its trial becomes interrupted).
    abort.signal.addEventListener('abort', () => decisions.forEach(abortDecisions), { once: true });

    const taskFor = (trial: TrialRecord): TaskRequest => {
      const cell = sweep.prunes ? newDecisions() : undefined;
      if (cell) decisions.set(trial.id, cell);
      const base = { trialId: trial.id, number: trial.number, params: trial.params, trialSeed: trial.seed, ...(cell ? { decisions: cell } : {}) };
      return programUrl
        ? { ...base, kind: 'program', programUrl, metricName: spec.metric.name }
        : {
            ...base,
            kind: 'train',
            config: resolveTrainConfig(spec.train, trial.params),
            sweepSeed: spec.seed,
            executions: spec.executions_per_trial,
            modelDir: models ? models.saveDir(trial.number) : null,
          };
    };

    /**
     * Each trial's writes, in the order they were made: its epochs, then its result. Storage calls are
     * asynchronous and a store on a server may run concurrent calls in any order, so a trial's next write
     * waits for its previous one.
     */
    const writes = new Map<number, Promise<void>>();
    const inOrder = (trial: TrialRecord, write: () => Promise<void>): Promise<void> => {
      const next = (writes.get(trial.id) ?? Promise.resolve()).then(write);
      writes.set(trial.id, next.catch(() => {}));
      return next;
    };

    const onMessage = (trial: TrialRecord, message: WorkerMessage): void => {
      if (abort.signal.aborted) return;
      inOrder(trial, async () => {
        if (abort.signal.aborted) return;
        if (message.type === 'started') {
          if (message.backend) await sweep.setBackend(trial, message.backend);
          emit({ type: 'trial-backend', trial, backend: message.backend });
        } else if (message.type === 'epoch') {
          await sweep.report(trial, message.epoch);
          if (sweep.prunes && !(spec.metric.name in message.epoch.metrics) && !warnedUnjudged) {
            warnedUnjudged = true;
            const keys = Object.keys(message.epoch.metrics).join(', ') || 'none';
            emit({ type: 'warning', message: `trial ${trial.number} reported step ${message.epoch.epoch} without "${spec.metric.name}", the sweep's metric (keys: ${keys}): the pruner judges only steps that carry it` });
          }
          emit({ type: 'epoch', trial, epoch: message.epoch, totalEpochs: message.totalEpochs });
          const cell = decisions.get(trial.id);
          if (message.judged && cell) {
            // Decided from the stored steps, this one included; the worker waits for the answer.
            let verdict = CONTINUE;
            try {
              verdict = (await sweep.shouldPrune(trial)) ? PRUNE : CONTINUE;
            } finally {
              answer(cell, message.judged, verdict);
            }
          }
        }
      }).catch(die);
    };

    const onResult = async (trial: TrialRecord, result: TrialResult): Promise<void> => {
      for (const stray of result.strays ?? []) emit({ type: 'warning', message: stray });
      if (result.backend) await sweep.setBackend(trial, result.backend);
      if (result.pruned) {
        emit({ type: 'trial-end', trial: await sweep.prune(trial, result.epochs), result, completed: sweep.completed, best: sweep.best });
        return;
      }
      if (result.modelPath && models) await models.keep(trial, result.modelPath);
      let note: string | null = null;
      if (result.saveError) {
        savesFailed++;
        note = `model not saved: ${result.saveError.message}`;
        if (result.saveError.code) {
          // A file-system error (disk full, permissions, a file where the folder should be): the next
          // trial's save would fail the same way, so stop training models that cannot be kept.
          sweep.halt(`trial ${trial.number}'s model could not be saved (${result.saveError.message}); its result is kept. Free space or fix permissions, then run the same command again to go on`);
        }
      }
      const told = await sweep.tell(trial, result.metrics, result.epochs, result.executions, note);
      emit({ type: 'trial-end', trial: told, result, completed: sweep.completed, best: sweep.best });
    };

    const launch = (trial: TrialRecord & { rerun: boolean }): void => {
      const task = taskFor(trial);
      emit({ type: 'trial-start', trial, rerun: trial.rerun, totalEpochs: task.kind === 'train' ? task.config.epochs * task.executions : null });
      const settled = activePool
        .run(task, (message) => onMessage(trial, message), abort.signal)
        .then(
          (result) =>
            inOrder(trial, async () => {
              if (!abort.signal.aborted) await onResult(trial, result);
            }),
          (err: unknown) =>
            inOrder(trial, async () => {
              // Aborted trials are not failures: close() marks them interrupted.
              if (!abort.signal.aborted) emit({ type: 'trial-end', trial: await sweep.fail(trial, err), completed: sweep.completed, best: sweep.best });
            }),
        )
        .catch(die)
        .finally(() => {
          running.delete(trial.id);
          writes.delete(trial.id);
          decisions.delete(trial.id);
        });
      running.set(trial.id, settled);
    };

    const evaluate = dataset?.test
      ? (trial: TrialRecord, modelDir: string) => {
          emit({ type: 'evaluating', trial });
          return evaluateOnTest(activePool, trial, modelDir, abort.signal);
        }
      : null;

    for (;;) {
      while (!abort.signal.aborted && running.size < workers) {
        const trial = await sweep.ask();
        if (!trial) break;
        launch(trial);
      }
      if (running.size === 0) {
        if (abort.signal.aborted) break;
        // Nothing to claim now: other processes may still finish the sweep, or leave trials to re-run.
        if ((await sweep.settle()) !== 'wait') break;
        await delay(POLL_MS, undefined, { signal: abort.signal }).catch(() => {});
        continue;
      }
      // Also wake up now and then: a free worker may claim the trials of a process that has gone.
      await Promise.race([...running.values(), delay(POLL_MS)]);
    }
    // Whichever process finishes the sweep evaluates its best model on the test split, once.
    if (!abort.signal.aborted && (await sweep.finishIfDone()) && models) {
      // The trials are all recorded by now: a failure here is reported, not allowed to undo the sweep.
      try {
        await finalizeModels({ storage, sweepId: sweep.record.id, goal: spec.metric.goal, saveModels: spec.save_models, keeper: models, evaluate });
      } catch (err) {
        if (err instanceof Database.SqliteError || isPostgresFailure(err)) throw err;
        finalizeProblem = `; the test-split evaluation failed: ${errorMessage(err)}`;
      }
    }
  } catch (err) {
    die(err);
  } finally {
    await Promise.allSettled(running.values());
    await Promise.allSettled(leaseChecks);
    options.signal?.removeEventListener('abort', onUserAbort);
    sweep.interruptSignal.removeEventListener('abort', onUserAbort);
    await pool?.destroy();
  }

  let closed: Awaited<ReturnType<Sweep['close']>>;
  try {
    closed = await sweep.close(abort.signal.aborted, fatal === null ? null : errorMessage(fatal));
    await models?.removeOrphans(sweep.record.id);
  } catch (err) {
    // The database cannot even record the stop: the next run finds this process gone and recovers.
    sweep.abandon();
    throw asFatal(fatal ?? err);
  } finally {
    models?.close();
    storage.onNotice = undefined;
  }
  if (fatal !== null) throw asFatal(fatal);
  const saves = savesFailed ? `; ${savesFailed} model(s) could not be saved` : '';
  const outcome: SweepOutcome = {
    status: closed.status,
    sweep: sweep.record,
    message: closed.message + saves + finalizeProblem,
    failed: closed.failed,
    unsavedModels: savesFailed,
    budget: sweep.budgetSpent,
    stopRequested: sweep.stopRequested,
  };
  emit({ type: 'sweep-end', outcome });
  return outcome;
}

export { modelsDirFor };
