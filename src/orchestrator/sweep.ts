/**
 * Ask-and-tell: the lowest layer of running a sweep. `await Sweep.open` creates or joins a sweep in a
 * storage; `await ask()` claims the next trial with its params (recorded as running), `await tell()` /
 * `await fail()` record how it ended (every call that touches storage is asynchronous). `runSweep` (and so
 * `tfsweep run` and `tfsweep agent`) is a loop over these; a program of your own can drive them as well,
 * against the same database as the CLI.
 *
 * Any number of processes, on any machines that reach the database, may take part in one sweep. Nothing
 * lives only in one process's memory: each claim reads the sweep's state in the same transaction that
 * records the new trial, so the samplers see every process's trials (running ones too) and no configuration
 * is handed out twice. Each process holds a lease (lease.ts); the trials of a process that is gone become
 * interrupted and are re-run once, by whichever process claims next.
 *
 * The facade over the parts of a trial's path: the planner (what to run next), the judge (pruning), the
 * lease, and the tally (counts and budgets). Each trial's data is written once: steps reported through
 * `report` are remembered until the trial settles, so its result does not write them again and a pruned
 * trial's value is computed without reading them back; every settling write returns what it settled.
 */
import { errorMessage } from '../errors.js';
import { quoteValue } from '../core/text.js';
import { isMultiObjective, metricValue, objectiveValues, objectivesOf, requiredMetrics } from '../core/metric.js';
import { bestFirst, type Checkpoint, type Rerun, type EpochRecord, type ExecutionRecord, type Metrics, type ProcessIdentity, type ProcessRecord, type StopRequest, type SweepRecord, type TrialRecord, type TrialSettlement } from '../core/records.js';
import { enqueueConfigurations } from './enqueue.js';
import { createSampler, plannedTrialCount, samplerOf, type Sampler } from '../samplers/index.js';
import type { Storage } from '../storage/storage.js';
import type { LoadedSpec, SweepSpec } from '../sweep-file/types.js';
import { formatDurationSpec } from '../sweep-file/duration.js';
import { Judge } from './judge.js';
import { Lease } from './lease.js';
import { planNext } from './planner.js';
import { resumableSpec } from './resume.js';
import { Tally, type SweepProgress } from './tally.js';

export { curveOf, finalStepOf } from './judge.js';

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

/** A claimed trial, and whether it re-runs an interrupted configuration. */
/**
 * A trial this process claimed. `rerun`: it ran before (resumed after an interruption, or retried after a
 * failure); `again` says which, or `queued` for an enqueued configuration, or null for a new one.
 */
export type ClaimedTrial = TrialRecord & { rerun: boolean; again: Rerun['kind'] | null };

/** What this process knows of one of its running trials, so that nothing of it is written twice. */
interface Held {
  /** Steps stored through `report`, by execution and epoch. */
  steps: Map<string, EpochRecord>;
  backend: string | null;
}

const stepKey = (e: EpochRecord): string => `${e.execution ?? 0}:${e.epoch}`;

export class Sweep {
  /** Trials of processes found gone when this one joined, marked interrupted (they run again). */
  readonly interruptedOnOpen: number;
  private readonly sampler: Sampler;
  private readonly judge: Judge;
  private readonly tally: Tally;
  private readonly held = new Map<number, Held>();
  private consecutive = 0;
  private stop: string | null = null;
  private timeIsUp = false;

  private constructor(
    private readonly storage: Storage,
    public record: SweepRecord,
    readonly spec: SweepSpec,
    readonly resumed: boolean,
    private readonly lease: Lease,
    interrupted: number,
    history: readonly TrialRecord[],
    private readonly deadline: { at: number; seconds: number } | null,
  ) {
    this.interruptedOnOpen = interrupted;
    this.sampler = createSampler(spec);
    this.judge = new Judge(storage, record.id, spec);
    this.tally = new Tally(spec.metric, plannedTrialCount(spec), { maxAttempts: this.maxAttempts, gridCap: spec.run_cap === null });
    this.tally.absorb(history);
    lease.onHalt = (reason) => this.halt(reason);
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
    // The file's `enqueue:` configurations, once, by the process that created the sweep.
    if (created && spec.enqueue?.length) await enqueueConfigurations(storage, record.id, spec, spec.enqueue, (i) => `enqueue[${i}]`);
    const { lease, interrupted } = await Lease.take(storage, record.id, options);
    const history = await storage.listTrials(record.id);
    // max_time counts from when the sweep's run began: its creation, or its resumption by a process that
    // found no other running it. A process joining a running sweep shares that start.
    const alone = !(await storage.listProcesses(record.id)).some((p) => p.state === 'running' && p.id !== lease.process.id);
    const elapsedMs = await storage.runClock(record.id, alone);
    const maxTime = options.maxTime !== undefined ? options.maxTime : (spec.max_time ?? null);
    const deadline = maxTime === null ? null : { at: Date.now() + maxTime * 1000 - elapsedMs, seconds: maxTime };
    try {
      return { sweep: new Sweep(storage, record, spec, !created, lease, interrupted, history, deadline) };
    } catch (err) {
      // A stored definition this version cannot run (a method it does not know): leave as joined.
      await lease.end();
      throw err;
    }
  }

  /** The runs a trial may have: its first, and max_retries more after failures. */
  private get maxAttempts(): number {
    return 1 + (this.spec.max_retries ?? 0);
  }

  /** Where the sweep is stored, as it may be printed (given to a command's environment as TFSWEEP_DB). */
  get location(): string {
    return this.storage.location;
  }

  /** This process's row in the sweep's processes. */
  get process(): ProcessRecord {
    return this.lease.process;
  }

  /**
   * The whole sweep's counts (every process's trials), its best value and its planned size, as of the last read
   * of the database and this process's own results since.
   */
  get progress(): SweepProgress {
    return this.tally;
  }

  /** True when no trial is left to run anywhere: the cap or target is met, or the space is exhausted and nothing runs. */
  get done(): boolean {
    return this.tally.done;
  }

  /** Why this process stopped asking for trials (failure policy, stop request, budget), or null. */
  get stopReason(): string | null {
    return this.stop;
  }

  /** A `tfsweep stop` asked for (drain or now), or null. */
  get stopRequested(): StopRequest | null {
    return this.lease.requested;
  }

  /** Aborted when this process must interrupt its running trials now (`tfsweep stop --now`, or declared gone). */
  get interruptSignal(): AbortSignal {
    return this.lease.interruptSignal;
  }

  /** The budget that ended (or is ending) the sweep: `target` (a trial reached metric.target) or `max_time`. */
  get budgetSpent(): 'target' | 'max_time' | null {
    if (this.tally.targetReached) return 'target';
    return this.timeIsUp ? 'max_time' : null;
  }

  /** Whether this sweep has a pruner: trials report each step and wait for `shouldPrune`. */
  get prunes(): boolean {
    return this.judge.active;
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

  /**
   * Claims the next trial, recorded as running for this process; null when none should start now (cap
   * reached counting every process's running trials, space exhausted, or this process stopped).
   */
  async ask(): Promise<ClaimedTrial | null> {
    if (this.stop !== null || this.tally.targetReached || this.checkDeadline()) return null;
    let again: Rerun | null = null;
    const trial = await this.storage.claimTrial(
      this.record.id,
      this.process.id,
      (view) => {
        this.tally.absorb(view);
        const plan = planNext({
          view,
          sampler: this.sampler,
          metric: this.spec.metric,
          parameters: this.spec.parameters,
          ...(this.spec.conditions ? { conditions: this.spec.conditions } : {}),
          seed: this.spec.seed,
          planned: this.tally.planned,
          gridCap: this.spec.run_cap === null,
          exhausted: this.tally.exhausted,
        });
        if (plan.kind === 'exhausted') this.tally.exhausted = true;
        if (plan.kind !== 'run') return null;
        again = plan.again;
        return plan.again ? { reclaim: plan.again.trialId } : plan.trial;
      },
      { history: samplerOf(this.spec).needsHistory, maxAttempts: this.maxAttempts },
    );
    if (!trial) return null;
    const kind = (again as Rerun | null)?.kind ?? null;
    this.tally.claimed(kind !== null);
    this.held.set(trial.id, { steps: new Map(), backend: null });
    return { ...trial, rerun: kind === 'resume' || kind === 'retry', again: kind };
  }

  /**
   * What this process should do when it has nothing running and `ask()` gave nothing: `done` (no trial is
   * left anywhere), `wait` (other processes run trials that may finish the sweep or come back as re-runs:
   * ask again later), or `leave` (this process was stopped).
   */
  async settle(): Promise<'done' | 'wait' | 'leave'> {
    if (this.stop !== null) return 'leave';
    await this.lease.reap();
    this.tally.absorb(await this.storage.listTrials(this.record.id));
    if (this.tally.done) return 'done';
    return this.tally.running > 0 || this.tally.reruns > 0 ? 'wait' : 'done';
  }

  /** Records one step (an epoch, or a program's `report`) of a running trial. */
  async report(trial: TrialRecord, epoch: EpochRecord): Promise<void> {
    await this.storage.recordEpoch(trial.id, epoch);
    this.held.get(trial.id)?.steps.set(stepKey(epoch), epoch);
  }

  /** Records the backend a trial trains on (once: the same backend again writes nothing). */
  async setBackend(trial: TrialRecord, backend: string): Promise<void> {
    const held = this.held.get(trial.id);
    if (held?.backend === backend) return;
    await this.storage.setTrialBackend(trial.id, backend);
    if (held) held.backend = backend;
  }

  /** The steps of `epochs` not stored through `report` yet: what a settling write still has to store. */
  private unstored(trial: TrialRecord, epochs: readonly EpochRecord[]): EpochRecord[] {
    const steps = this.held.get(trial.id)?.steps;
    return steps ? epochs.filter((e) => !steps.has(stepKey(e))) : [...epochs];
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
    const objectives = objectivesOf(this.spec);
    const needed = requiredMetrics(objectives);
    if (typeof result === 'number' && needed.length > 1) {
      return this.fail(trial, new Error(`the objective returned the number ${quoteValue(result, 200)}, but this sweep needs a record holding each of ${needed.map((n) => `"${n}"`).join(', ')} (its metrics and constraints)`), epochs);
    }
    const metrics: Metrics = typeof result === 'number' ? { [this.spec.metric.name]: result } : result;
    const missing = needed.find((name) => metricValue({ name }, metrics) === null);
    if (missing !== undefined) {
      return this.fail(trial, new Error(`the objective returned no finite "${missing}" (got ${quoteValue(result, 200)})`), epochs);
    }
    const values = objectiveValues(objectives, metrics)!;
    const value = isMultiObjective(objectives) ? values : values[0]!;
    const withValues = executions.map((x) => ({ ...x, value: x.metrics[this.spec.metric.name] ?? null }));
    const settled = await this.storage.completeTrial(trial.id, value, metrics, this.unstored(trial, epochs), withValues, note);
    this.consecutive = 0;
    return this.settled(trial, settled);
  }

  /** Records a trial as failed with its error; the sweep goes on until the failure policy says stop. */
  async fail(trial: TrialRecord, error: unknown, epochs: readonly EpochRecord[] = []): Promise<TrialRecord> {
    const settled = await this.storage.failTrial(trial.id, storedError(error), this.unstored(trial, epochs));
    // A failure with retries left runs again (any process may claim it); only a final one counts towards
    // max_consecutive_failures.
    if ((trial.attempt ?? 1) < this.maxAttempts) return this.settled(trial, settled);
    this.consecutive++;
    if (this.consecutive >= this.spec.max_consecutive_failures && this.stop === null) {
      this.stop = `stopped after ${this.consecutive} consecutive failed trials (max_consecutive_failures: ${this.spec.max_consecutive_failures}); last error: ${errorMessage(error)}`;
    }
    return this.settled(trial, settled);
  }

  /**
   * Should the running `trial` stop at the step it last reported? Decided from what the database holds (its
   * own steps included, so report them first): a resumed sweep or another process decides the same way.
   * Only the first execution's steps are judged (see README: executions_per_trial).
   */
  shouldPrune(trial: TrialRecord): Promise<boolean> {
    return this.judge.shouldPrune(trial);
  }

  /**
   * Records `trial` as stopped by the pruner after `epochs` (reported through `report` already, or not): its
   * value is the metric at its last step. It counts towards run_cap and is never ranked among the complete trials.
   */
  async prune(trial: TrialRecord, epochs: readonly EpochRecord[] = []): Promise<TrialRecord> {
    const all = new Map(this.held.get(trial.id)?.steps);
    for (const e of epochs) all.set(stepKey(e), e);
    const { value, metrics, step } = this.judge.prunedResult(trial, [...all.values()]);
    const settled = await this.storage.pruneTrial(trial.id, value, metrics, this.unstored(trial, epochs), step);
    this.consecutive = 0;
    return this.settled(trial, settled);
  }

  /** The trial as it settled, counted; this process forgets what it held of it. */
  private settled(trial: TrialRecord, settlement: TrialSettlement): TrialRecord {
    this.tally.settled(settlement);
    const backend = this.held.get(trial.id)?.backend;
    this.held.delete(trial.id);
    const { rerun: _rerun, again: _again, ...record } = trial as ClaimedTrial;
    return { ...record, ...(backend ? { backend } : {}), ...settlement };
  }

  /** Stops asking for new trials (running ones finish); this process then ends with this reason. */
  halt(reason: string): void {
    this.stop ??= reason;
  }

  /**
   * After a write was refused because the trial is no longer running: whether this process was declared
   * gone (its trials run elsewhere; it then stops as at its next heartbeat).
   */
  lostLease(): Promise<boolean> {
    return this.lease.lost();
  }

  /** Keeps a running trial's checkpoint (replacing its last): what it resumes from if it is interrupted. */
  async saveCheckpoint(trial: TrialRecord, checkpoint: Checkpoint): Promise<void> {
    await this.storage.saveCheckpoint(trial.id, checkpoint);
  }

  /** The checkpoint an interrupted trial left, or null (it then runs from the beginning). */
  checkpointOf(trial: TrialRecord): Promise<Checkpoint | null> {
    return this.storage.loadCheckpoint(trial.id);
  }

  async setModelPath(trial: TrialRecord, path: string | null): Promise<void> {
    await this.storage.setModelPath(trial.id, path);
  }

  async setTestMetrics(trial: TrialRecord, metrics: Metrics): Promise<void> {
    await this.storage.setTestMetrics(trial.id, metrics);
  }

  /** Completed trials that meet the constraints, best first (several objectives: the Pareto front first; ties: earlier trial first). */
  async ranked(): Promise<TrialRecord[]> {
    return bestFirst(objectivesOf(this.spec), await this.storage.listTrials(this.record.id));
  }

  /**
   * Marks the sweep finished when no trial is left anywhere; true only for the one process that did, which
   * then finalizes it (the test-split evaluation happens once per sweep). `fresh` skips the read when the
   * caller has just settled with nothing running since (the state is current).
   */
  async finishIfDone(fresh = false): Promise<boolean> {
    if (!fresh) this.tally.absorb(await this.storage.listTrials(this.record.id));
    if (this.stop !== null || !this.tally.done) return false;
    return this.storage.finishSweep(this.record.id, this.tally.finishedMessage());
  }

  /**
   * Ends this process's part: its running trials (if any) are marked interrupted. The sweep is finished
   * when no trial is left; otherwise, when no other process still runs it, it is left `stopped` and
   * resumable (`interrupted` after Ctrl-C or an error, `stopped` by the failure policy or `tfsweep stop`).
   */
  async close(interrupted = false, cause: string | null = null): Promise<{ status: CloseStatus; message: string; failed: number }> {
    const count = await this.lease.end();
    this.tally.absorb(await this.storage.listTrials(this.record.id));
    const others = (await this.storage.listProcesses(this.record.id)).filter((p) => p.state === 'running' && p.id !== this.process.id);
    const { status, message } = await this.closing(interrupted, cause, count, others.length, others.filter((p) => p.stop === null).length);
    this.record = (await this.storage.getSweep(this.record.name))!;
    return { status, message, failed: this.tally.failed };
  }

  /** How this process's part ends, and what the sweep's row says of it. */
  private async closing(interrupted: boolean, cause: string | null, count: number, others: number, goingOn: number): Promise<{ status: CloseStatus; message: string }> {
    const stored = await this.storage.getSweep(this.record.name);
    if (stored?.state === 'finished') {
      // Finished (by this process or another): it stays finished, whatever stopped this process. The last
      // process to leave restates the counts, which trials still running at the finish may have changed.
      const message = this.tally.finishedMessage();
      if (!others && message !== stored.message) await this.storage.restateFinished(this.record.id, message);
      return { status: 'finished', message: interrupted && count ? `${message}; ${count} trial(s) still running here were interrupted` : message };
    }
    if (!interrupted && this.stop === null && this.tally.done) {
      const message = this.tally.finishedMessage();
      await this.storage.finishSweep(this.record.id, message);
      return { status: 'finished', message };
    }
    // Processes asked to stop (drain or now) do not go on with the sweep.
    if (interrupted || this.stop === null || this.lease.declaredGone || this.lease.requested === 'now') {
      const why = cause ? `stopped by an error: ${cause}` : (this.stop ?? 'interrupted');
      const resume = goingOn ? `; ${goingOn} other process(es) go on with the sweep` : '; run the same command again to resume';
      const message = `${why}; ${count} running trial(s) marked interrupted${resume}`;
      if (!goingOn) await this.storage.setSweepState(this.record.id, 'stopped', message);
      return { status: 'interrupted', message };
    }
    if (!goingOn) await this.storage.setSweepState(this.record.id, 'stopped', this.stop);
    return { status: 'stopped', message: this.stop };
  }

  /** Stops the heartbeat without writing anything: for when the database itself has failed. */
  abandon(): void {
    this.lease.abandon();
  }
}

/** The longest error message kept on a trial: enough for any stack trace, not a megabyte of output. */
const MAX_ERROR_CHARS = 10_000;

/** A trial's error as stored: its one-line message, cut at MAX_ERROR_CHARS with the length said. */
function storedError(error: unknown): string {
  const text = errorMessage(error) || 'an error without a message';
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}… (cut: ${text.length} characters in all)` : text;
}
