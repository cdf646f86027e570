/**
 * Ask-and-tell: the lowest layer of running a sweep. `await Sweep.open` creates or joins a sweep in a
 * storage; `await ask()` claims the next trial with its params (recorded as running), `await tell()` /
 * `await fail()` record how it ended (every call that touches storage is asynchronous). `runSweep` (and so
 * `tfsweep run` and `tfsweep agent`) is a loop over these; a program of your own can drive them as well,
 * against the same database as the CLI.
 *
 * Any number of processes, on any machines that reach the database, may take part in one sweep. Nothing
 * lives only in one process's memory: each claim reads the whole history in the same transaction that
 * records the new trial, so the samplers see every process's trials (running ones too) and no configuration
 * is handed out twice. Each process holds a lease (see ownership.ts); the trials of a process that is gone
 * become interrupted and are re-run once, by whichever process claims next.
 */
import { errorMessage } from '../errors.js';
import { quoteValue } from '../core/text.js';
import { createSampler, plannedTrialCount, samplerOf, type Sampler } from '../samplers/index.js';
import { deriveSeed } from '../space/rng.js';
import type { LoadedSpec, SweepSpec } from '../sweep-file/types.js';
import {
  bestFirst,
  claimViewOf,
  type ClaimView,
  type EpochRecord,
  type ExecutionRecord,
  type Metrics,
  type NewTrial,
  type ProcessIdentity,
  type ProcessRecord,
  type StopRequest,
  type SweepRecord,
  type TrialRecord,
} from '../core/records.js';
import { HistoryCache, type Storage } from '../storage/storage.js';
import { createPruner, type Curve, type Pruner } from '../pruners/index.js';
import { deadLocally, heartbeatMs, leaseGraceMs, processIdentity } from './ownership.js';
import { resumableSpec } from './resume.js';
import { formatDurationSpec } from '../sweep-file/duration.js';

export interface SweepOpenResult {
  sweep: Sweep | null;
  /** Set when the stored sweep is already finished: nothing to run. */
  finished?: SweepRecord;
}

export interface SweepOpenOptions {
  /** Who this process is (default: this host, pid and start time). */
  identity?: ProcessIdentity;
  /** Worker threads this process runs, as other processes see in `tfsweep status`. */
  workers?: number;
  /** Seconds after the sweep's run began when no new trial starts (overrides the file's max_time). */
  maxTime?: number | null;
}

export type CloseStatus = 'finished' | 'stopped' | 'interrupted';

export class Sweep {
  readonly planned: number | null;
  /** Trials of processes found gone when this one joined, marked interrupted (they run again). */
  readonly interruptedOnOpen: number;
  private readonly sampler: Sampler;
  private readonly pruner: Pruner | null;
  private readonly curves = new HistoryCache();
  /** The sweep's state as of the last read (every process's trials). */
  private completedCount = 0;
  private range: { minValue: number | null; maxValue: number | null } = { minValue: null, maxValue: null };
  private runningCount = 0;
  private rerunsPending = 0;
  private failedCount = 0;
  private prunedCount = 0;
  private consecutive = 0;
  private exhausted = false;
  private stop: string | null = null;
  private requested: StopRequest | null = null;
  private declaredGone = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly stopNow = new AbortController();

  private constructor(
    private readonly storage: Storage,
    public record: SweepRecord,
    readonly spec: SweepSpec,
    readonly resumed: boolean,
    readonly process: ProcessRecord,
    interrupted: number,
    history: TrialRecord[],
    private readonly deadline: { at: number; seconds: number } | null = null,
  ) {
    this.interruptedOnOpen = interrupted;
    this.absorb(history);
    this.sampler = createSampler(spec);
    this.pruner = createPruner(spec.pruner ?? null, { goal: spec.metric.goal, sweepName: spec.name, lastStep: finalStepOf(spec) });
    this.planned = plannedTrialCount(spec);
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs());
    this.heartbeat.unref();
  }

  /**
   * Creates the sweep, or joins the stored one of the same name (refusing a changed definition). Nothing is
   * written before that check passes. Any number of processes may join a running sweep.
   */
  static async open(storage: Storage, loaded: LoadedSpec, options: SweepOpenOptions = {}): Promise<SweepOpenResult> {
    const stored = await storage.getSweep(loaded.spec.name);
    const spec = stored ? resumableSpec(stored, loaded.spec) : loaded.spec;
    if (stored?.state === 'finished') return { sweep: null, finished: stored };
    const { sweep: record, created } = await storage.joinSweep(spec, loaded.source);
    if (record.state === 'finished') return { sweep: null, finished: record };
    // The grace is recorded with the process: every peer judges its silence by this process's own setting.
    const proc = await storage.registerProcess(record.id, options.identity ?? processIdentity(), options.workers ?? 1, leaseGraceMs());
    const interrupted = await storage.reap(record.id, leaseGraceMs(), deadLocally);
    const history = await storage.listTrials(record.id);
    // max_time counts from when the sweep's run began: its creation, or its resumption by a process that
    // found no other running it. A process joining a running sweep shares that start.
    const alone = !(await storage.listProcesses(record.id)).some((p) => p.state === 'running' && p.id !== proc.id);
    const elapsedMs = await storage.runClock(record.id, alone);
    const maxTime = options.maxTime !== undefined ? options.maxTime : (spec.max_time ?? null);
    const deadline = maxTime === null ? null : { at: Date.now() + maxTime * 1000 - elapsedMs, seconds: maxTime };
    return { sweep: new Sweep(storage, record, spec, !created, proc, interrupted, history, deadline) };
  }

  /** Renews this process's lease, picks up stop requests, and declares silent processes gone. */
  private async beat(): Promise<void> {
    try {
      const { gone, stop } = await this.storage.beat(this.process.id);
      if (gone) {
        this.goneElsewhere();
      } else if (stop) {
        this.requested = stop;
        this.halt(stop === 'now' ? 'stopped by `tfsweep stop --now`' : 'stopped by `tfsweep stop`');
        if (stop === 'now') this.stopNow.abort();
      }
      await this.storage.reap(this.record.id, leaseGraceMs(), deadLocally);
    } catch {
      // A heartbeat that cannot be written (database busy, full, unreachable) is skipped: the next one says
      // the same, and the grace period is several heartbeats long.
    }
  }

  /**
   * After a write was refused because the trial is no longer running: asks the database whether this
   * process was declared gone (its trials then run elsewhere). If so, it stops as it would at its next
   * heartbeat, and this returns true; false means the refusal has another cause.
   */
  async lostLease(): Promise<boolean> {
    if (this.declaredGone) return true;
    let gone = false;
    try {
      gone = (await this.storage.beat(this.process.id)).gone;
    } catch {
      return false;
    }
    if (gone) this.goneElsewhere();
    return gone;
  }

  /** Another process declared this one gone: its trials run elsewhere, and it stops now. */
  private goneElsewhere(): void {
    this.declaredGone = true;
    this.halt(`this process was declared gone by another (no heartbeat within ${leaseGraceMs() / 1000} s); its trials run elsewhere`);
    this.stopNow.abort();
  }

  /** Aborted when this process must interrupt its running trials now (`tfsweep stop --now`, or declared gone). */
  get interruptSignal(): AbortSignal {
    return this.stopNow.signal;
  }

  /** Pruned trials of the whole sweep, as of the last full read (they count among `completed`). */
  get pruned(): number {
    return this.prunedCount;
  }

  /** Completed trials of the whole sweep, as of the last read. */
  get completed(): number {
    return this.completedCount;
  }

  /** The best value of the whole sweep's complete trials, as of the last read (and this process's own results since). */
  get best(): number | null {
    return this.spec.metric.goal === 'maximize' ? this.range.maxValue : this.range.minValue;
  }

  /** Running trials of the whole sweep (every process), as of the last read. */
  get runningTrials(): number {
    return this.runningCount;
  }

  /** Takes in the sweep's state from a full history or a claim view. */
  private absorb(from: TrialRecord[] | ClaimView): void {
    const view = Array.isArray(from) ? claimViewOf(from) : from;
    this.completedCount = view.completed;
    this.range = { minValue: view.minValue, maxValue: view.maxValue };
    this.runningCount = view.runningConfigs.length;
    this.rerunsPending = view.reruns.length;
    if (Array.isArray(from)) {
      this.failedCount = from.filter((t) => t.state === 'failed').length;
      this.prunedCount = from.filter((t) => t.state === 'pruned').length;
    }
  }

  /** Why this process stopped asking for trials (failure policy, stop request), or null. */
  get stopReason(): string | null {
    return this.stop;
  }

  /** A `tfsweep stop` asked for (drain or now), or null. */
  get stopRequested(): StopRequest | null {
    return this.requested;
  }

  /** The budget that ended (or is ending) the sweep: `target` (a trial reached metric.target) or `max_time`. */
  get budgetSpent(): 'target' | 'max_time' | null {
    if (this.targetReached()) return 'target';
    return this.timeIsUp ? 'max_time' : null;
  }

  private timeIsUp = false;

  /** W&B's metric.target: some complete trial's value reached it (at or above when maximizing, at or below when minimizing). */
  private targetReached(): boolean {
    const target = this.spec.metric.target;
    const best = this.best;
    if (target === undefined || best === null) return false;
    return this.spec.metric.goal === 'maximize' ? best >= target : best <= target;
  }

  /** Past max_time: no new trial starts; this process ends once its running trials finish. */
  private checkDeadline(): boolean {
    if (this.deadline === null || Date.now() < this.deadline.at) return false;
    if (!this.timeIsUp) {
      this.timeIsUp = true;
      this.halt(`max_time (${formatDurationSpec(this.deadline.seconds)}) reached: no new trial was started after it; run the same command again to go on`);
    }
    return true;
  }

  /** True when no trial is left to run anywhere: the cap is met, or the space is exhausted and nothing runs. */
  get done(): boolean {
    if (this.targetReached()) return true;
    if (this.completedCount >= (this.planned ?? Infinity)) return true;
    return this.exhausted && this.runningCount === 0 && this.rerunsPending === 0;
  }

  /**
   * Claims the next trial, recorded as running for this process; null when none should start now (cap
   * reached counting every process's running trials, space exhausted, or this process stopped).
   */
  async ask(): Promise<(TrialRecord & { rerun: boolean }) | null> {
    if (this.stop !== null || this.targetReached() || this.checkDeadline()) return null;
    let rerun = false;
    const trial = await this.storage.claimTrial(this.record.id, this.process.id, (view) => {
      this.absorb(view);
      rerun = false;
      // Another process's trial may have reached the target since this one last looked.
      if (this.targetReached()) return null;
      if (view.completed + view.runningConfigs.length >= (this.planned ?? Infinity)) return null;
      // A configuration whose every trial was interrupted runs again, once: not while a re-run of it runs.
      const again = view.reruns[0];
      let choice: { configIndex: number; params: TrialRecord['params'] };
      if (again) {
        rerun = true;
        choice = again;
      } else {
        if (this.exhausted) return null;
        const params = this.sampler.sample(view.nextIndex, view.history ?? []);
        if (params === null) {
          this.exhausted = true;
          return null;
        }
        choice = { configIndex: view.nextIndex, params };
      }
      const next: NewTrial = {
        configIndex: choice.configIndex,
        params: choice.params,
        distributions: Object.fromEntries(Object.keys(choice.params).map((k) => [k, this.spec.parameters[k]!])),
        seed: deriveSeed(this.spec.seed, 'trial', choice.configIndex),
      };
      return next;
    }, { history: samplerOf(this.spec).needsHistory });
    if (!trial) return null;
    this.runningCount++;
    if (rerun) this.rerunsPending--;
    return { ...trial, rerun };
  }

  /**
   * What this process should do when it has nothing running and `ask()` gave nothing: `done` (no trial is
   * left anywhere), `wait` (other processes run trials that may finish the sweep or come back as re-runs:
   * ask again later), or `leave` (this process was stopped).
   */
  async settle(): Promise<'done' | 'wait' | 'leave'> {
    if (this.stop !== null) return 'leave';
    await this.storage.reap(this.record.id, leaseGraceMs(), deadLocally);
    this.absorb(await this.storage.listTrials(this.record.id));
    if (this.done) return 'done';
    return this.runningCount > 0 || this.rerunsPending > 0 ? 'wait' : 'done';
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
    this.consecutive = 0;

    return this.refresh(trial);
  }

  /** Records a trial as failed with its error; the sweep goes on until the failure policy says stop. */
  async fail(trial: TrialRecord, error: unknown, epochs: readonly EpochRecord[] = []): Promise<TrialRecord> {
    await this.storage.failTrial(trial.id, storedError(error), epochs);
    this.consecutive++;
    if (this.consecutive >= this.spec.max_consecutive_failures && this.stop === null) {
      this.stop = `stopped after ${this.consecutive} consecutive failed trials (max_consecutive_failures: ${this.spec.max_consecutive_failures}); last error: ${errorMessage(error)}`;
    }
    return this.refresh(trial);
  }

  /** Stops asking for new trials (running ones finish); this process then ends with this reason. */
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
   * Marks the sweep finished when no trial is left anywhere; true only for the one process that did, which
   * then finalizes it (the test-split evaluation happens once per sweep).
   */
  async finishIfDone(): Promise<boolean> {
    this.absorb(await this.storage.listTrials(this.record.id));
    if (this.stop !== null || !this.done) return false;
    return this.storage.finishSweep(this.record.id, this.finishedMessage());
  }

  private finishedMessage(): string {
    const pruned = this.prunedCount ? `, ${this.prunedCount} pruned` : '';
    const counts = `${this.completedCount - this.prunedCount} trial(s) complete${pruned}${this.failedCount ? `, ${this.failedCount} failed` : ''}`;
    return this.targetReached() ? `metric.target ${this.spec.metric.target} reached (best ${this.best}); ${counts}` : counts;
  }

  /**
   * Ends this process's part: its running trials (if any) are marked interrupted. The sweep is finished
   * when no trial is left; otherwise, when no other process still runs it, it is left `stopped` and
   * resumable (`interrupted` after Ctrl-C or an error, `stopped` by the failure policy or `tfsweep stop`).
   */
  async close(interrupted = false, cause: string | null = null): Promise<{ status: CloseStatus; message: string; failed: number }> {
    clearInterval(this.heartbeat);
    const count = await this.storage.endProcess(this.process.id);
    this.absorb(await this.storage.listTrials(this.record.id));
    const failed = this.failedCount;
    const others = (await this.storage.listProcesses(this.record.id)).filter((p) => p.state === 'running' && p.id !== this.process.id);
    // Processes asked to stop (drain or now) do not go on with the sweep.
    const goingOn = others.filter((p) => p.stop === null).length;
    let status: CloseStatus;
    let message: string;
    const stored = await this.storage.getSweep(this.record.name);
    if (stored?.state === 'finished') {
      // Finished (by this process or another): it stays finished, whatever stopped this process. The last
      // process to leave restates the counts, which trials still running at the finish may have changed.
      status = 'finished';
      message = this.finishedMessage();
      if (!others.length && message !== stored.message) await this.storage.restateFinished(this.record.id, message);
      if (interrupted && count) message += `; ${count} trial(s) still running here were interrupted`;
    } else if (!interrupted && this.stop === null && this.done) {
      status = 'finished';
      message = this.finishedMessage();
      await this.storage.finishSweep(this.record.id, message);
    } else if (interrupted || this.stop === null || this.declaredGone || this.requested === 'now') {
      status = 'interrupted';
      const why = cause ? `stopped by an error: ${cause}` : (this.stop ?? 'interrupted');
      const resume = goingOn ? `; ${goingOn} other process(es) go on with the sweep` : '; run the same command again to resume';
      message = `${why}; ${count} running trial(s) marked interrupted${resume}`;
      if (!goingOn) await this.storage.setSweepState(this.record.id, 'stopped', message);
    } else {
      status = 'stopped';
      message = this.stop;
      if (!goingOn) await this.storage.setSweepState(this.record.id, 'stopped', message);
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
    this.runningCount = Math.max(0, this.runningCount - 1);
    // Counted now; the next read of the database brings in what other processes finished meanwhile.
    if (fresh.state === 'complete' && fresh.value !== null) {
      this.completedCount++;
      this.range = {
        minValue: this.range.minValue === null ? fresh.value : Math.min(this.range.minValue, fresh.value),
        maxValue: this.range.maxValue === null ? fresh.value : Math.max(this.range.maxValue, fresh.value),
      };
    }
    if (fresh.state === 'pruned') {
      this.completedCount++;
      this.prunedCount++;
    }
    if (fresh.state === 'failed') this.failedCount++;
    return fresh;
  }

  /** Whether this sweep has a pruner: trials report each step and wait for `shouldPrune`. */
  get prunes(): boolean {
    return this.pruner !== null;
  }

  /**
   * Should the running `trial` stop at the step it last reported? Decided from what the database holds (its
   * own steps included, so report them first): a resumed sweep or another process decides the same way.
   * Only the first execution's steps are judged (see README: executions_per_trial).
   */
  async shouldPrune(trial: TrialRecord): Promise<boolean> {
    if (!this.pruner) return false;
    const id = this.record.id;
    // Finished trials' curves never change: each call reads only new and unfinished trials' steps.
    const all = this.curves.merge(id, await this.storage.listTrials(id, { withEpochs: true, only: this.curves.delta(id) }));
    const curves = all.map((t) => curveOf(t, this.spec));
    const mine = curves.find((c) => c.number === trial.number);
    if (!mine || mine.steps.length === 0) return false;
    return this.pruner.prune({ ...mine, state: 'running' }, curves);
  }

  /**
   * Records `trial` as stopped by the pruner after `epochs` (stored already or not): its value is the
   * metric at its last step. It counts towards run_cap and is never ranked among the complete trials.
   */
  async prune(trial: TrialRecord, epochs: readonly EpochRecord[] = []): Promise<TrialRecord> {
    // Only this trial, with the epochs already stored (no trial id exceeds the 32-bit ids both databases give).
    const stored = (await this.storage.listTrials(this.record.id, { withEpochs: true, only: { since: 2 ** 31 - 1, unsettled: [trial.id] } }))[0];
    const byKey = new Map<string, EpochRecord>();
    for (const e of [...(stored?.epochs ?? []), ...epochs]) byKey.set(`${e.execution ?? 0}:${e.epoch}`, e);
    const curve = curveOf({ ...trial, epochs: [...byKey.values()] }, this.spec);
    const last = [...byKey.values()].filter((e) => !e.execution).sort((a, b) => a.epoch - b.epoch).pop();
    const value = curve.values.length ? curve.values[curve.values.length - 1]! : NaN;
    await this.storage.pruneTrial(trial.id, Number.isFinite(value) ? value : null, last?.metrics ?? null, epochs, last?.epoch ?? 0);
    this.consecutive = 0;
    return this.refresh(trial);
  }
}

/** The longest error message kept on a trial: enough for any stack trace, not a megabyte of output. */
const MAX_ERROR_CHARS = 10_000;

/** A trial's error as stored: its one-line message, cut at MAX_ERROR_CHARS with the length said. */
function storedError(error: unknown): string {
  const text = errorMessage(error) || 'an error without a message';
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}… (cut: ${text.length} characters in all)` : text;
}

/**
 * A trial's learning curve as the pruners read it: the first execution's steps, in order, with the sweep
 * metric's value (NaN when missing or not finite). The built-in trainer's epoch e is step e − 1, as Optuna's
 * Keras callback reports it; a program's steps are its own.
 */
export function curveOf(trial: TrialRecord, spec: SweepSpec): Curve {
  // Steps that do not carry the metric (a program logging other things) are not part of its curve.
  const epochs = (trial.epochs ?? []).filter((e) => !e.execution && spec.metric.name in e.metrics).sort((a, b) => a.epoch - b.epoch);
  const offset = spec.program ? 0 : 1;
  return {
    number: trial.number,
    state: trial.state,
    steps: epochs.map((e) => e.epoch - offset),
    values: epochs.map((e) => {
      const v = e.metrics[spec.metric.name];
      return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
    }),
  };
}

/** The step after which a trial that is never stopped ends, when the spec fixes it (the trainer's epochs, not searched). */
export function finalStepOf(spec: SweepSpec): number | null {
  if (spec.program || 'epochs' in spec.parameters) return null;
  return spec.train.epochs - 1;
}

