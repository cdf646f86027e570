/**
 * The dispatch loop: plans configurations, runs them on the pool, writes every event to storage as it
 * happens (this thread is the only writer), applies the failure policy, and leaves the database consistent
 * however it stops.
 */
import os from 'node:os';
import { UsageError, errorMessage } from '../errors.js';
import { createSampler, plannedTrialCount } from '../samplers/index.js';
import type { Params } from '../space/distributions.js';
import { deriveSeed } from '../space/rng.js';
import type { LoadedSpec, SweepSpec } from '../spec/types.js';
import type { Storage, SweepRecord, TrialRecord } from '../storage/storage.js';
import { resolveTrainConfig } from '../trainer/knobs.js';
import { loadMnist } from '../trainer/mnist.js';
import type { TrialResult } from '../worker/protocol.js';
import type { SweepListener, SweepOutcome } from './events.js';
import { TrialPool } from './pool.js';
import { HEARTBEAT_MS, ownerId, ownerIsGone } from './ownership.js';
import { planFromHistory, resumableSpec } from './resume.js';

export interface RunSweepOptions {
  loaded: LoadedSpec;
  storage: Storage;
  /** Parallel trials; overrides the file's `workers`; default os.availableParallelism(). */
  workers?: number;
  /** Abort to stop: no new trials, running ones become interrupted. */
  signal?: AbortSignal;
  onEvent?: SweepListener;
}

/**
 * Opens the sweep named in the spec: creates it, or checks that the stored one is the same sweep and that no
 * live process is running it. Nothing is written before these checks pass.
 */
function openSweep(storage: Storage, loaded: LoadedSpec): { sweep: SweepRecord; spec: SweepSpec; resumed: boolean } | { finished: SweepRecord } {
  const stored = storage.getSweep(loaded.spec.name);
  const spec = stored ? resumableSpec(stored, loaded.spec) : loaded.spec;
  if (stored?.state === 'finished') return { finished: stored };
  const claim = storage.acquireSweep(spec, loaded.source, ownerId(), (s) => ownerIsGone(s));
  if ('busy' in claim) {
    throw new UsageError(
      `sweep "${spec.name}" is being run by another process (${claim.busy.owner}, last heartbeat ${claim.busy.heartbeatAt}); ` +
        'wait for it, or stop it first',
    );
  }
  return { sweep: claim.sweep, spec, resumed: !claim.created };
}

export async function runSweep(options: RunSweepOptions): Promise<SweepOutcome> {
  const { storage } = options;
  const emit: SweepListener = options.onEvent ?? (() => {});
  const opened = openSweep(storage, options.loaded);
  if ('finished' in opened) {
    const sweep = opened.finished;
    const outcome: SweepOutcome = { status: 'already-finished', sweep, message: `sweep "${sweep.name}" is already finished (${sweep.message ?? 'done'})` };
    emit({ type: 'sweep-end', outcome });
    return outcome;
  }
  const { sweep, spec, resumed } = opened;
  // Trials left running or queued belong to a process that is gone (the claim above checked).
  const interrupted = storage.interruptActiveTrials(sweep.id);
  const heartbeat = setInterval(() => storage.heartbeat(sweep.id, ownerId()), HEARTBEAT_MS);
  heartbeat.unref();

  const sampler = createSampler(spec);
  const history = storage.listTrials(sweep.id);
  const plan = planFromHistory(history);
  const planned = plannedTrialCount(spec);
  const cap = planned ?? Infinity;
  let completed = plan.completed;
  let nextIndex = plan.nextIndex;
  const reruns = [...plan.reruns];

  const nextConfig = (): { configIndex: number; params: Params; rerun: boolean } | null => {
    const rerun = reruns.shift();
    if (rerun) return { ...rerun, rerun: true };
    const params = sampler.sample(nextIndex, history);
    return params === null ? null : { configIndex: nextIndex++, params, rerun: false };
  };

  const requested = options.workers ?? spec.workers ?? os.availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new UsageError(`--workers: expected an integer ≥ 1, got ${requested}`);
  const remaining = Math.max(0, cap - completed);
  const workers = Math.max(1, Math.min(requested, Number.isFinite(remaining) ? remaining : requested));

  emit({ type: 'sweep-start', sweep, resumed, interrupted, completed, planned, workers });

  const dataset = loadMnist();
  const pool = new TrialPool(workers, { dataset: { name: dataset.name, classes: dataset.classes, train: dataset.train } });
  const abort = new AbortController();
  const onUserAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onUserAbort, { once: true });
  if (options.signal?.aborted) abort.abort();

  const running = new Map<number, Promise<void>>();
  let consecutiveFailures = 0;
  let failureStop: string | null = null;
  let exhausted = false;

  const launch = (config: { configIndex: number; params: Params; rerun: boolean }): void => {
    const trial = storage.startTrial(sweep.id, {
      configIndex: config.configIndex,
      params: config.params,
      distributions: Object.fromEntries(Object.keys(config.params).map((k) => [k, spec.parameters[k]!])),
      seed: deriveSeed(spec.seed, 'trial', config.configIndex),
    });
    const trainConfig = resolveTrainConfig(spec.train, trial.params);
    emit({ type: 'trial-start', trial, rerun: config.rerun, totalEpochs: trainConfig.epochs });
    const task = pool.run(
      {
        trialId: trial.id,
        number: trial.number,
        params: trial.params,
        config: trainConfig,
        sweepSeed: spec.seed,
        trialSeed: trial.seed,
      },
      (message) => {
        if (message.type === 'started') {
          storage.setTrialBackend(trial.id, message.backend);
          emit({ type: 'trial-backend', trial, backend: message.backend });
        } else if (message.type === 'epoch') {
          storage.recordEpoch(trial.id, message.epoch);
          emit({ type: 'epoch', trial, epoch: message.epoch, totalEpochs: message.totalEpochs });
        }
      },
      abort.signal,
    );
    const settled = task.then(
      (result) => finishTrial(trial, result),
      (err: unknown) => failTrial(trial, err),
    );
    running.set(trial.id, settled);
    void settled.finally(() => running.delete(trial.id));
  };

  const finishTrial = (trial: TrialRecord, result: TrialResult): void => {
    const value = result.metrics[spec.metric.name];
    if (value === undefined || !Number.isFinite(value)) {
      failTrial(trial, new Error(`the trial did not report a finite "${spec.metric.name}" (got ${String(value)})`), result);
      return;
    }
    storage.setTrialBackend(trial.id, result.backend);
    storage.completeTrial(trial.id, value, result.metrics, result.epochs);
    completed++;
    consecutiveFailures = 0;
    emit({ type: 'trial-end', trial: reread(trial), result });
  };

  const failTrial = (trial: TrialRecord, err: unknown, result?: TrialResult): void => {
    if (abort.signal.aborted) return; // interrupted, not failed: marked below
    storage.failTrial(trial.id, errorMessage(err), result?.epochs ?? []);
    consecutiveFailures++;
    if (consecutiveFailures >= spec.max_consecutive_failures && !failureStop) {
      failureStop = `stopped after ${consecutiveFailures} consecutive failed trials (max_consecutive_failures: ${spec.max_consecutive_failures}); last error: ${errorMessage(err)}`;
    }
    emit({ type: 'trial-end', trial: reread(trial), ...(result ? { result } : {}) });
  };

  const reread = (trial: TrialRecord): TrialRecord => storage.getTrial(trial.id) ?? trial;

  try {
    for (;;) {
      while (!abort.signal.aborted && !failureStop && !exhausted && running.size < workers && completed + running.size < cap) {
        const config = nextConfig();
        if (!config) {
          exhausted = true;
          break;
        }
        launch(config);
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    clearInterval(heartbeat);
    if (abort.signal.aborted) await Promise.allSettled(running.values());
    options.signal?.removeEventListener('abort', onUserAbort);
    await pool.destroy();
  }

  let outcome: SweepOutcome;
  if (abort.signal.aborted) {
    const count = storage.interruptActiveTrials(sweep.id);
    const message = `interrupted; ${count} running trial(s) marked interrupted; run the same command again to resume`;
    storage.setSweepState(sweep.id, 'stopped', message);
    outcome = { status: 'interrupted', sweep: storage.getSweep(sweep.name)!, message };
  } else if (failureStop) {
    storage.setSweepState(sweep.id, 'stopped', failureStop);
    outcome = { status: 'stopped', sweep: storage.getSweep(sweep.name)!, message: failureStop };
  } else {
    const trials = storage.listTrials(sweep.id);
    const failed = trials.filter((t) => t.state === 'failed').length;
    const message = `${completed} trial(s) complete${failed ? `, ${failed} failed` : ''}`;
    storage.setSweepState(sweep.id, 'finished', message);
    outcome = { status: 'finished', sweep: storage.getSweep(sweep.name)!, message };
  }
  emit({ type: 'sweep-end', outcome });
  return outcome;
}
