/**
 * The dispatch loop over the ask-and-tell layer: asks for trials while workers are free, runs each as a
 * TrialRun on the pool, and leaves the database consistent however it stops. This thread is the only
 * writer: workers report over message ports.
 *
 * However it stops, trials in flight are recorded `interrupted` (they run again on resume), never `failed`:
 * a failure is the trial's own, an interruption is the sweep's. A database that cannot be written (disk
 * full, locked beyond the busy timeout) or a worker thread that dies stops the sweep the same way, with a
 * one-line StorageError or WorkerError.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { StorageError, UsageError, errorMessage } from '../errors.js';
import { modelsDirFor } from '../files/model-folders.js';
import { MAX_WORKERS } from '../sweep-file/schema.js';
import type { LoadedSpec } from '../sweep-file/types.js';
import { DriverError } from '../storage/guard.js';
import { FinishedTrialError, type Metrics, type Storage, type SweepRecord, type TrialRecord } from '../storage/storage.js';
import { loadDataset } from '../trainer/datasets.js';
import type { Dataset } from '../trainer/mnist.js';
import type { WorkerInit } from '../worker/protocol.js';
import type { SweepListener, SweepOutcome } from './events.js';
import { finalizeModels, needsFinalizing } from './finalize.js';
import { objectivesOf } from '../core/metric.js';
import { usableCpus } from '../core/cpus.js';
import { DatabaseKeeper, FolderKeeper, type ModelKeeper } from './model-keeper.js';
import { TrialPool, within } from './pool.js';
import { preflight } from './preflight.js';
import { Sweep } from './sweep.js';
import { TrialRun, type RunContext } from './trial-run.js';

export { checkDataset, checkProgram, preflight } from './preflight.js';
export { MAX_WORKERS, modelsDirFor };

/** How often a process with a free worker looks for trials to claim (re-runs of gone processes' trials). */
const POLL_MS = 1000;

export interface RunSweepOptions {
  loaded: LoadedSpec;
  storage: Storage;
  /** Parallel trials (1–256); overrides the file's `workers`; default the CPUs this process may use (affinity and cgroup quota). */
  workers?: number;
  /** Seconds after which no new trial starts (overrides the file's max_time; null: no limit). */
  maxTime?: number | null;
  /** Abort to stop: no new trials, running ones become interrupted. */
  signal?: AbortSignal;
  /** Abort to drain: no new trials, running ones finish (as `tfsweep stop` asks). */
  drain?: AbortSignal;
  onEvent?: SweepListener;
  /**
   * Where trained models are saved (one `trial-NNNN` folder per trial), or null to save none. tfsweep only
   * ever deletes `trial-NNNN` folders directly inside it. The CLI uses `modelsDirFor(db, sweep name)` for a
   * SQLite file. Not given: a database that keeps models itself (PostgreSQL) keeps them; otherwise none.
   */
  modelsDir?: string | null;
}

export async function runSweep(options: RunSweepOptions): Promise<SweepOutcome> {
  const { storage, loaded } = options;
  const emit: SweepListener = options.onEvent ?? (() => {});
  const requested = options.workers ?? loaded.spec.workers ?? usableCpus();
  if (!Number.isInteger(requested) || requested < 1 || requested > MAX_WORKERS) {
    throw new UsageError(`--workers: expected an integer from 1 to ${MAX_WORKERS}, got ${requested}`);
  }
  await preflight(loaded);
  // Why the database makes this process wait (another process holds its lock), said as it happens: from
  // the first write on, joining the sweep included.
  storage.onNotice = (message) => emit({ type: 'warning', message });
  try {
    const opened = await Sweep.open(storage, loaded, { workers: requested, ...(options.maxTime !== undefined ? { maxTime: options.maxTime } : {}) });
    const models = loaded.spec.program || loaded.spec.save_models === 0 ? null : keeperFor(storage, options.modelsDir);
    if (!opened.sweep) return await alreadyFinished(loaded, storage, opened.finished!, models, emit);
    const sweep = opened.sweep;
    options.drain?.addEventListener('abort', () => sweep.halt('asked to stop (SIGTERM): no new trials, running ones finished'), { once: true });
    const remaining = Math.max(0, (sweep.progress.planned ?? Infinity) - sweep.progress.completed);
    return await new SweepRun(sweep, storage, models, emit, Math.max(1, Math.min(requested, remaining)), options.signal).run();
  } finally {
    storage.onNotice = undefined;
  }
}

/** Folders when given one; else the database's own model store, if it has one; else no models. */
function keeperFor(storage: Storage, modelsDir: string | null | undefined): ModelKeeper | null {
  if (modelsDir) return new FolderKeeper(storage, modelsDir);
  if (modelsDir === undefined && storage.models) return new DatabaseKeeper(storage.models);
  return null;
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

/**
 * A sweep found finished: leftovers of a run that was cut short are removed, and a finishing process that
 * died before the test-split evaluation (or before deleting surplus models) is made good.
 */
async function alreadyFinished(loaded: LoadedSpec, storage: Storage, sweep: SweepRecord, models: ModelKeeper | null, emit: SweepListener): Promise<SweepOutcome> {
  let note = '';
  try {
    if (models) {
      await models.removeOrphans(sweep.id);
      note = await finalizeLate(loaded, storage, sweep.id, models);
    }
  } finally {
    models?.close();
  }
  const outcome: SweepOutcome = { status: 'already-finished', sweep, message: `sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})${note}` };
  emit({ type: 'sweep-end', outcome });
  return outcome;
}

/** Finalizes a finished sweep whose finishing process was cut short; says what it did, if anything. */
async function finalizeLate(loaded: LoadedSpec, storage: Storage, sweepId: number, keeper: ModelKeeper): Promise<string> {
  const { spec } = loaded;
  const dataset = spec.program ? null : loadDataset(spec.train.dataset);
  const trials = await storage.listTrials(sweepId);
  if (!needsFinalizing(trials, objectivesOf(spec), spec.save_models, Boolean(dataset?.test))) return '';
  const pool = dataset?.test ? new TrialPool(1, { dataset: poolData(dataset) }) : null;
  try {
    const evaluate = pool ? (trial: TrialRecord, modelDir: string) => evaluateOnTest(pool, trial, modelDir, new AbortController().signal) : null;
    await finalizeModels({ storage, sweepId, objectives: objectivesOf(spec), saveModels: spec.save_models, keeper, evaluate });
  } finally {
    await pool?.destroy();
  }
  return '; its models were finalized now (test-split evaluation, save_models)';
}

/** The database's own failures become one line saying that nothing recorded is lost and how to go on. */
function asFatal(err: unknown): unknown {
  if (err instanceof FinishedTrialError) {
    return new StorageError(`${err.message}; the sweep stopped, and everything recorded before is kept: run the same command again to resume`, { cause: err });
  }
  if (err instanceof DriverError) {
    return new StorageError(`${err.message}; the sweep stopped, and everything recorded before is kept: fix that and run the same command again to resume`, { cause: err.cause });
  }
  return err;
}

/** One process's run of an open sweep: the loop of trial runs on the pool, then the finish and the close. */
class SweepRun {
  private readonly abort = new AbortController();
  private fatal: unknown = null;
  private readonly leaseChecks: Promise<void>[] = [];
  private readonly running = new Map<number, Promise<void>>();
  private pool: TrialPool | null = null;
  private finalizeProblem = '';
  private readonly context: RunContext;

  constructor(
    private readonly sweep: Sweep,
    private readonly storage: Storage,
    private readonly models: ModelKeeper | null,
    private readonly emit: SweepListener,
    private readonly workers: number,
    private readonly userSignal: AbortSignal | undefined,
  ) {
    this.context = { sweep, models, emit, signal: this.abort.signal, fatal: (err) => this.die(err), warnedUnjudged: false, savesFailed: 0 };
  }

  /** The database (or a worker thread) failed: stop everything; the error is rethrown once all is settled. */
  private die(err: unknown): void {
    if (err instanceof FinishedTrialError && this.fatal === null) {
      // A write refused because the trial no longer runs: most likely this process was declared gone (a
      // peer judged it silent) and its trials run elsewhere. Then it stops as at its next heartbeat.
      this.leaseChecks.push(
        this.sweep.lostLease().then((gone) => {
          if (gone) return;
          this.fatal ??= err;
          this.abort.abort();
        }),
      );
      return;
    }
    this.fatal ??= err;
    this.abort.abort();
  }

  async run(): Promise<SweepOutcome> {
    const stop = (): void => this.abort.abort();
    this.userSignal?.addEventListener('abort', stop, { once: true });
    if (this.userSignal?.aborted) stop();
    // `tfsweep stop --now`, or this process declared gone by the others: interrupt what runs here.
    this.sweep.interruptSignal.addEventListener('abort', stop, { once: true });
    try {
      await this.dispatch();
    } catch (err) {
      this.die(err);
    } finally {
      await Promise.allSettled(this.running.values());
      await Promise.allSettled(this.leaseChecks);
      this.userSignal?.removeEventListener('abort', stop);
      this.sweep.interruptSignal.removeEventListener('abort', stop);
      await this.pool?.destroy();
    }
    return this.close();
  }

  private async dispatch(): Promise<void> {
    const { sweep, models } = this;
    await models?.removeOrphans(sweep.record.id);
    this.emit({
      type: 'sweep-start',
      sweep: sweep.record,
      resumed: sweep.resumed,
      interrupted: sweep.interruptedOnOpen,
      completed: sweep.progress.completed,
      pruned: sweep.progress.pruned,
      planned: sweep.progress.planned,
      workers: this.workers,
      processId: sweep.process.id,
    });
    const dataset = sweep.spec.program ? null : loadDataset(sweep.spec.train.dataset);
    const pool = (this.pool = new TrialPool(this.workers, { dataset: dataset && poolData(dataset) }));
    const settledNow = await this.loop(pool);
    // Whichever process finishes the sweep evaluates its best model on the test split, once.
    if (this.abort.signal.aborted || !(await sweep.finishIfDone(settledNow)) || !models) return;
    const evaluate = dataset?.test
      ? (trial: TrialRecord, modelDir: string) => {
          this.emit({ type: 'evaluating', trial });
          return evaluateOnTest(pool, trial, modelDir, this.abort.signal);
        }
      : null;
    try {
      await finalizeModels({ storage: this.storage, sweepId: sweep.record.id, objectives: objectivesOf(sweep.spec), saveModels: sweep.spec.save_models, keeper: models, evaluate });
    } catch (err) {
      // The trials are all recorded by now: a failure here is reported, not allowed to undo the sweep.
      if (err instanceof StorageError) throw err;
      this.finalizeProblem = `; the test-split evaluation failed: ${errorMessage(err)}`;
    }
  }

  /** Trial runs while workers are free, until no trial is left for this process; true when it ended on a fresh read of the sweep. */
  private async loop(pool: TrialPool): Promise<boolean> {
    const { running, sweep } = this;
    for (;;) {
      while (!this.abort.signal.aborted && running.size < this.workers) {
        const trial = await sweep.ask();
        if (!trial) break;
        running.set(trial.id, new TrialRun(this.context, pool, trial).run().catch((err) => this.die(err)).finally(() => running.delete(trial.id)));
      }
      if (running.size === 0) {
        if (this.abort.signal.aborted) return false;
        // Nothing to claim now: other processes may still finish the sweep, or leave trials to re-run.
        if ((await sweep.settle()) !== 'wait') return true;
        await delay(POLL_MS, undefined, { signal: this.abort.signal }).catch(() => {});
        continue;
      }
      // Also wake up now and then: a free worker may claim the trials of a process that has gone.
      await within(Promise.race(running.values()), POLL_MS);
    }
  }

  private async close(): Promise<SweepOutcome> {
    const { sweep, models, fatal } = this;
    let closed: Awaited<ReturnType<Sweep['close']>>;
    try {
      closed = await sweep.close(this.abort.signal.aborted, fatal === null ? null : errorMessage(fatal));
      await models?.removeOrphans(sweep.record.id);
    } catch (err) {
      // The database cannot even record the stop: the next run finds this process gone and recovers.
      sweep.abandon();
      throw asFatal(fatal ?? err);
    } finally {
      models?.close();
    }
    if (fatal !== null) throw asFatal(fatal);
    const saves = this.context.savesFailed ? `; ${this.context.savesFailed} model(s) could not be saved` : '';
    const outcome: SweepOutcome = {
      status: closed.status,
      sweep: sweep.record,
      message: closed.message + saves + this.finalizeProblem,
      failed: closed.failed,
      unsavedModels: this.context.savesFailed,
      budget: sweep.budgetSpent,
      stopRequested: sweep.stopRequested,
    };
    this.emit({ type: 'sweep-end', outcome });
    return outcome;
  }
}
