/**
 * Ask-and-tell: the lowest layer of running a sweep. `await Sweep.open` creates or resumes a sweep in a
 * storage; `await ask()` returns the next trial with its params (recorded as running), `await tell()` /
 * `await fail()` record how it ended (every call that touches storage is asynchronous). `runSweep` (and so `tfsweep run`) is a loop over these; a program of your own can drive them as well,
 * against the same database as the CLI.
 *
 * The history the sampler sees is kept in memory only as a cache of what this process wrote: it is rebuilt
 * from storage on open, and this process is the sweep's only writer while it owns it.
 */
import { UsageError, errorMessage } from '../errors.js';
import { quoteValue } from '../core/text.js';
import { createSampler, plannedTrialCount, type Sampler } from '../samplers/index.js';
import type { Params } from '../space/distributions.js';
import { deriveSeed } from '../space/rng.js';
import type { LoadedSpec, SweepSpec } from '../spec/types.js';
import { bestFirst, type EpochRecord, type ExecutionRecord, type Metrics, type SweepRecord, type TrialRecord } from '../core/records.js';
import type { Storage } from '../storage/storage.js';
import { HEARTBEAT_MS, ownerId, ownerIsGone } from './ownership.js';
import { planFromHistory, resumableSpec } from './resume.js';

export interface SweepOpenResult {
  sweep: Sweep | null;
  /** Set when the stored sweep is already finished: nothing to run. */
  finished?: SweepRecord;
}

export class Sweep {
  readonly planned: number | null;
  /** Trials found running or queued from a process that is gone, marked interrupted on open. */
  readonly interruptedOnOpen: number;
  private readonly sampler: Sampler;
  private readonly history: TrialRecord[];
  private readonly reruns: Array<{ configIndex: number; params: Params }>;
  private nextIndex: number;
  private completedCount: number;
  private consecutive = 0;
  private exhausted = false;
  private stop: string | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    private readonly storage: Storage,
    public record: SweepRecord,
    readonly spec: SweepSpec,
    readonly resumed: boolean,
    owner: string,
    interrupted: number,
    history: TrialRecord[],
  ) {
    this.interruptedOnOpen = interrupted;
    this.history = history;
    const plan = planFromHistory(this.history);
    this.reruns = plan.reruns;
    this.nextIndex = plan.nextIndex;
    this.completedCount = plan.completed;
    this.sampler = createSampler(spec);
    this.planned = plannedTrialCount(spec);
    this.heartbeat = setInterval(() => {
      // A heartbeat that cannot be written (database busy or full) is skipped: the next one says the same.
      storage.heartbeat(record.id, owner).catch(() => {
        /* the next beat retries */
      });
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Creates the sweep, or resumes the stored one of the same name (refusing a changed definition or a sweep
   * that a live process runs). Nothing is written before these checks pass.
   */
  static async open(storage: Storage, loaded: LoadedSpec, owner: string = ownerId()): Promise<SweepOpenResult> {
    const stored = await storage.getSweep(loaded.spec.name);
    const spec = stored ? resumableSpec(stored, loaded.spec) : loaded.spec;
    if (stored?.state === 'finished') return { sweep: null, finished: stored };
    const claim = await storage.acquireSweep(spec, loaded.source, owner, (s) => ownerIsGone(s));
    if ('busy' in claim) {
      throw new UsageError(
        `sweep "${spec.name}" is being run by another process (${claim.busy.owner}, last heartbeat ${claim.busy.heartbeatAt}); wait for it, or stop it first`,
      );
    }
    const interrupted = await storage.interruptActiveTrials(claim.sweep.id);
    const history = await storage.listTrials(claim.sweep.id);
    return { sweep: new Sweep(storage, claim.sweep, spec, !claim.created, owner, interrupted, history) };
  }

  get completed(): number {
    return this.completedCount;
  }

  get running(): TrialRecord[] {
    return this.history.filter((t) => t.state === 'running');
  }

  /** Why the sweep stopped asking for trials (failure policy), or null. */
  get stopReason(): string | null {
    return this.stop;
  }

  /** True when no further trial will be asked: the cap is met, the space is exhausted or the policy stopped it. */
  get done(): boolean {
    return this.stop !== null || this.completedCount >= (this.planned ?? Infinity) || (this.exhausted && this.running.length === 0);
  }

  /**
   * The next trial to run, recorded as running; null when none should start now (cap reached counting the
   * running trials, space exhausted, or stopped by the failure policy).
   */
  async ask(): Promise<(TrialRecord & { rerun: boolean }) | null> {
    if (this.stop !== null || this.exhausted) return null;
    if (this.completedCount + this.running.length >= (this.planned ?? Infinity)) return null;
    const rerun = this.reruns.shift();
    let config: { configIndex: number; params: Params; rerun: boolean };
    if (rerun) config = { ...rerun, rerun: true };
    else {
      const params = this.sampler.sample(this.nextIndex, this.history);
      if (params === null) {
        this.exhausted = true;
        return null;
      }
      config = { configIndex: this.nextIndex++, params, rerun: false };
    }
    const trial = await this.storage.startTrial(this.record.id, {
      configIndex: config.configIndex,
      params: config.params,
      distributions: Object.fromEntries(Object.keys(config.params).map((k) => [k, this.spec.parameters[k]!])),
      seed: deriveSeed(this.spec.seed, 'trial', config.configIndex),
    });
    this.history.push(trial);
    return { ...trial, rerun: config.rerun };
  }

  /** Records one step (an epoch, or a program's `report`) of a running trial. */
  async report(trial: TrialRecord, epoch: EpochRecord): Promise<void> {
    await this.storage.recordEpoch(trial.id, epoch);
  }

  /**
   * Records a trial as complete. `result` is the metric's value, or a record of metrics that holds it; a
   * result without a finite value for the sweep's metric fails the trial instead.
   */
  async tell(
    trial: TrialRecord,
    result: number | Metrics,
    epochs: readonly EpochRecord[] = [],
    executions: readonly ExecutionRecord[] = [],
    /** Kept in the trial's `error` column although it completed (a model that could not be saved). */
    note: string | null = null,
  ): Promise<TrialRecord> {
    const metrics: Metrics = typeof result === 'number' ? { [this.spec.metric.name]: result } : result;
    const value = metrics[this.spec.metric.name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const got = quoteValue(result, 200);
      return this.fail(trial, new Error(`the objective returned no finite "${this.spec.metric.name}" (got ${got})`), epochs);
    }
    const name = this.spec.metric.name;
    const withValues = executions.map((x) => ({ ...x, value: x.metrics[name] ?? null }));
    await this.storage.completeTrial(trial.id, value, metrics, epochs, withValues, note);
    this.completedCount++;
    this.consecutive = 0;
    return this.refresh(trial);
  }

  /** Records a trial as failed with its error; the sweep goes on until the failure policy says stop. */
  async fail(trial: TrialRecord, error: unknown, epochs: readonly EpochRecord[] = []): Promise<TrialRecord> {
    await this.storage.failTrial(trial.id, errorMessage(error), epochs);
    this.consecutive++;
    if (this.consecutive >= this.spec.max_consecutive_failures && this.stop === null) {
      this.stop = `stopped after ${this.consecutive} consecutive failed trials (max_consecutive_failures: ${this.spec.max_consecutive_failures}); last error: ${errorMessage(error)}`;
    }
    return this.refresh(trial);
  }

  /** Stops asking for new trials (running ones finish); the sweep then ends `stopped` with this reason. */
  halt(reason: string): void {
    this.stop ??= reason;
  }

  async setModelPath(trial: TrialRecord, path: string | null): Promise<void> {
    await this.storage.setModelPath(trial.id, path);
  }

  async setTestMetrics(trial: TrialRecord, metrics: Metrics): Promise<void> {
    await this.storage.setTestMetrics(trial.id, metrics);
  }

  /** Completed trials, best first by the sweep's metric (ties: earlier trial first). */
  async ranked(): Promise<TrialRecord[]> {
    return bestFirst(this.spec.metric.goal, await this.storage.listTrials(this.record.id));
  }

  async setBackend(trial: TrialRecord, backend: string): Promise<void> {
    await this.storage.setTrialBackend(trial.id, backend);
  }

  /**
   * Ends this process's run of the sweep: `interrupted` marks running trials interrupted and leaves the sweep
   * resumable; otherwise it is finished, or stopped by the failure policy.
   */
  async close(interrupted = false, cause: string | null = null): Promise<{ status: 'finished' | 'stopped' | 'interrupted'; message: string; failed: number }> {
    clearInterval(this.heartbeat);
    let status: 'finished' | 'stopped' | 'interrupted';
    let message: string;
    const failed = this.history.filter((t) => t.state === 'failed').length;
    if (interrupted || (!this.done && this.stop === null)) {
      const count = await this.storage.interruptActiveTrials(this.record.id);
      status = 'interrupted';
      message = `${cause ? `stopped by an error: ${cause}` : 'interrupted'}; ${count} running trial(s) marked interrupted; run the same command again to resume`;
      await this.storage.setSweepState(this.record.id, 'stopped', message);
    } else if (this.stop !== null) {
      status = 'stopped';
      message = this.stop;
      await this.storage.setSweepState(this.record.id, 'stopped', message);
    } else {
      status = 'finished';
      message = `${this.completedCount} trial(s) complete${failed ? `, ${failed} failed` : ''}`;
      await this.storage.setSweepState(this.record.id, 'finished', message);
    }
    this.record = (await this.storage.getSweep(this.record.name))!;
    return { status, message, failed };
  }

  /** Stops the heartbeat without writing anything: for when the database itself has failed. */
  abandon(): void {
    clearInterval(this.heartbeat);
  }

  private async refresh(trial: TrialRecord): Promise<TrialRecord> {
    const fresh = (await this.storage.getTrial(trial.id))!;
    const i = this.history.findIndex((t) => t.id === trial.id);
    if (i >= 0) this.history[i] = fresh;
    return fresh;
  }
}

