/**
 * One trial's life on the pool, in order: claimed (by the loop) → started (its backend) → each step stored,
 * and judged when the sweep prunes → its result (complete, pruned or failed) → its model kept. Storage calls
 * are asynchronous and a store on a server may run concurrent calls in any order, so each of the trial's
 * writes waits for its previous one. A failure of the trial's own code fails the trial; anything else (the
 * database, the worker thread dying) is the sweep's, handed to `fatal`.
 */
import { pathToFileURL } from 'node:url';
import { TrialError, WorkerError, errorMessage } from '../errors.js';
import type { Checkpoint, TrialRecord } from '../core/records.js';
import type { SweepSpec } from '../sweep-file/types.js';
import { objectivesOf, requiredMetrics } from '../core/metric.js';
import { resolveTrainConfig } from '../trainer/knobs.js';
import { CONTINUE, PRUNE, abortDecisions, answer, newDecisions } from '../worker/decisions.js';
import type { TaskRequest, TrialResult, WorkerMessage } from '../worker/protocol.js';
import type { SweepListener } from './events.js';
import type { ModelKeeper } from './model-keeper.js';
import type { TrialPool } from './pool.js';
import type { ClaimedTrial, Sweep } from './sweep.js';

/** What every trial run of one process shares. */
export interface RunContext {
  sweep: Sweep;
  models: ModelKeeper | null;
  emit: SweepListener;
  /** Aborted when the sweep stops: the trial becomes interrupted (by `Sweep.close`), never failed. */
  signal: AbortSignal;
  /** The sweep itself failed (the database, a worker thread): stop everything. */
  fatal: (err: unknown) => void;
  /** Said once per process: steps reported without the sweep's metric are not judged. */
  warnedUnjudged: boolean;
  /** Models of this run that could not be saved. */
  savesFailed: number;
}

export class TrialRun {
  private writes: Promise<void> = Promise.resolve();
  private readonly decisions: SharedArrayBuffer | null;

  constructor(
    private readonly ctx: RunContext,
    private readonly pool: TrialPool,
    private readonly trial: ClaimedTrial,
  ) {
    this.decisions = ctx.sweep.prunes ? newDecisions() : null;
  }

  /** Runs the trial to its end; settles once everything about it is recorded (or the sweep stopped). */
  async run(): Promise<void> {
    const { ctx, trial } = this;
    // An interrupted trial resumes from its last checkpoint (its epochs up to it are kept in the database).
    const checkpoint = trial.again === 'resume' ? await ctx.sweep.checkpointOf(trial).catch((err: unknown) => (ctx.fatal(err), null)) : null;
    if (checkpoint) ctx.emit({ type: 'notice', message: `trial ${trial.number} resumes after ${ctx.sweep.spec.program ? 'step' : 'epoch'} ${checkpoint.epoch} of its interrupted run (attempt ${trial.attempt ?? 1})` });
    const task = this.task(checkpoint);
    ctx.emit({ type: 'trial-start', trial, rerun: trial.rerun, totalEpochs: task.kind === 'train' ? task.config.epochs * task.executions : null });
    // However the sweep stops, a worker waiting for a pruning decision is woken (its trial becomes interrupted).
    const wake = (): void => abortDecisions(this.decisions!);
    if (this.decisions) ctx.signal.addEventListener('abort', wake, { once: true });
    try {
      let result: TrialResult;
      try {
        result = await this.pool.run(task, (message) => this.onMessage(message), ctx.signal);
      } catch (err) {
        await this.inOrder(() => this.onError(err)).catch(ctx.fatal);
        return;
      }
      // Recording the result may fail too (the database): that is the sweep's, never the trial's.
      await this.inOrder(() => this.onResult(result)).catch(ctx.fatal);
    } finally {
      ctx.signal.removeEventListener('abort', wake);
    }
  }

  private task(checkpoint: Checkpoint | null): TaskRequest {
    const { spec } = this.ctx.sweep;
    const { trial } = this;
    const base = { trialId: trial.id, number: trial.number, params: trial.params, trialSeed: trial.seed, ...(this.decisions ? { decisions: this.decisions } : {}) };
    if (spec.program && spec.command) {
      return {
        ...base,
        kind: 'command',
        command: spec.command,
        program: spec.program,
        graceSeconds: spec.stop_grace ?? 10,
        metricName: spec.metric.name,
        env: {
          TFSWEEP_SWEEP: spec.name,
          TFSWEEP_TRIAL: String(trial.number),
          TFSWEEP_TRIAL_ID: String(trial.id),
          TFSWEEP_SEED: String(trial.seed),
          TFSWEEP_DB: this.ctx.sweep.location,
        },
      };
    }
    if (spec.program) {
      return {
        ...base,
        kind: 'program',
        programUrl: pathToFileURL(spec.program).href,
        metricName: spec.metric.name,
        ...requiredOf(spec),
        ...(spec.nested ? { nested: spec.nested } : {}),
        ...(checkpoint ? { resume: { step: checkpoint.epoch, state: checkpoint.state } } : {}),
      };
    }
    return {
      ...base,
      kind: 'train',
      config: resolveTrainConfig(spec.train, trial.params),
      sweepSeed: spec.seed,
      executions: spec.executions_per_trial,
      modelDir: this.ctx.models ? this.ctx.models.saveDir(trial.number) : null,
      checkpoints: spec.checkpoints !== false,
      ...(checkpoint ? { resume: { execution: checkpoint.execution, state: checkpoint.state, data: checkpoint.data ? new Uint8Array(checkpoint.data) : null } } : {}),
    };
  }

  /** The trial's next write, after its previous one; nothing more once the sweep stopped. */
  private inOrder(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(() => (this.ctx.signal.aborted ? undefined : write()));
    this.writes = next.catch(() => {});
    return next;
  }

  private onMessage(message: WorkerMessage): void {
    if (this.ctx.signal.aborted) return;
    this.inOrder(async () => {
      if (message.type === 'started') {
        if (message.backend) await this.ctx.sweep.setBackend(this.trial, message.backend);
        this.ctx.emit({ type: 'trial-backend', trial: this.trial, backend: message.backend });
      } else if (message.type === 'epoch') {
        await this.onStep(message);
      } else if (message.type === 'checkpoint') {
        // After the epoch it follows (the port keeps order; the writes too).
        await this.ctx.sweep.saveCheckpoint(this.trial, { execution: message.execution, epoch: message.epoch, state: message.state, data: message.data ? Buffer.from(message.data) : null });
      }
    }).catch(this.ctx.fatal);
  }

  private async onStep(message: Extract<WorkerMessage, { type: 'epoch' }>): Promise<void> {
    const { ctx, trial } = this;
    const { sweep } = ctx;
    await sweep.report(trial, message.epoch);
    const metric = sweep.spec.metric.name;
    if (sweep.prunes && !(metric in message.epoch.metrics) && !ctx.warnedUnjudged) {
      ctx.warnedUnjudged = true;
      const keys = Object.keys(message.epoch.metrics).join(', ') || 'none';
      ctx.emit({ type: 'warning', message: `trial ${trial.number} reported step ${message.epoch.epoch} without "${metric}", the sweep's metric (keys: ${keys}): the pruner judges only steps that carry it` });
    }
    ctx.emit({ type: 'epoch', trial, epoch: message.epoch, totalEpochs: message.totalEpochs });
    if (message.judged && this.decisions) {
      // Decided from the stored steps, this one included; the worker waits for the answer.
      let verdict = CONTINUE;
      try {
        verdict = (await sweep.shouldPrune(trial)) ? PRUNE : CONTINUE;
      } finally {
        answer(this.decisions, message.judged, verdict);
      }
    }
  }

  private async onResult(result: TrialResult): Promise<void> {
    const { ctx, trial } = this;
    const { sweep } = ctx;
    for (const stray of result.strays ?? []) ctx.emit({ type: 'warning', message: stray });
    if (result.backend) await sweep.setBackend(trial, result.backend);
    if (result.pruned) {
      this.ended(await sweep.prune(trial, result.epochs), result);
      return;
    }
    // The trial as it stands once its model is kept: its result is recorded on top of it.
    const kept = result.modelPath && ctx.models ? { ...trial, modelPath: await ctx.models.keep(trial, result.modelPath) } : trial;
    let note: string | null = null;
    if (result.saveError) {
      ctx.savesFailed++;
      note = `model not saved: ${result.saveError.message}`;
      if (result.saveError.code) {
        // A file-system error (disk full, permissions, a file where the folder should be): the next
        // trial's save would fail the same way, so stop training models that cannot be kept.
        sweep.halt(`trial ${trial.number}'s model could not be saved (${result.saveError.message}); its result is kept. Free space or fix permissions, then run the same command again to go on`);
      }
    }
    this.ended(await sweep.tell(kept, result.metrics, result.epochs, result.executions, note), result);
  }

  /** The task was rejected: the trial's own failure, or the sweep's (a worker thread that died is never the trial's). */
  private async onError(err: unknown): Promise<void> {
    if (err instanceof TrialError) {
      this.ended(await this.ctx.sweep.fail(this.trial, err));
      return;
    }
    this.ctx.fatal(
      new WorkerError(`the worker thread running trial ${this.trial.number} ended (${errorMessage(err)}): not the trial's failure; the sweep stopped and the trial will run again: run the same command to resume`, { cause: err }),
    );
  }

  private ended(told: TrialRecord, result?: TrialResult): void {
    const { sweep } = this.ctx;
    this.ctx.emit({ type: 'trial-end', trial: told, ...(result ? { result } : {}), completed: sweep.progress.completed, best: sweep.progress.best });
  }
}

/** The metrics a program's result must hold, when a bare number would not do (several objectives, constraints). */
function requiredOf(spec: SweepSpec): { required?: string[] } {
  const names = requiredMetrics(objectivesOf(spec));
  return names.length > 1 ? { required: names } : {};
}
