/**
 * What a person sees while a sweep runs. On a terminal: a live display (cli-progress) with the sweep's
 * done/total, best so far and ETA, and one bar per running trial with its epoch. Elsewhere (logs, CI, pipes):
 * one plain line per finished trial.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent, SweepListener } from '../orchestrator/events.js';
import type { TrialRecord } from '../core/records.js';
import { asLoss, describeConstraint, isBetter, isMultiObjective, metricValue, objectivesOf, violation, type Goal, type Objectives } from '../core/metric.js';
import { trialValues } from '../core/records.js';
import { dominates } from '../core/pareto.js';
import { formatDuration, formatNumber, formatParams } from './format.js';
import { durationSeconds } from './leaderboard.js';
import { printable } from '../core/text.js';
import { sweepSpecOf } from '../sweep-file/stored.js';

export interface ProgressOptions {
  out: NodeJS.WritableStream;
  tty: boolean;
}

export interface ProgressReporter {
  listener: SweepListener;
  stop(): void;
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const out = options.out as NodeJS.WritableStream & { destroyed?: boolean };
  // Every line is made printable where it is written (here and in multibar.log), once: trial errors and
  // parameter values may hold terminal escapes.
  const write = (line: string): void => {
    if (!out.destroyed) out.write(`${printable(line)}\n`);
  };
  const state = new SweepLines();
  if (!options.tty) {
    return {
      listener: (e) => {
        state.take(e);
        if (e.type === 'sweep-start') write(state.startLine(e));
        else if (e.type === 'trial-end') write(state.trialLine(e.trial));
        else if (e.type === 'evaluating') write(state.evaluatingLine(e.trial));
        else if (e.type === 'warning') write(`warning: ${e.message}`);
        else if (e.type === 'notice') write(e.message);
      },
      stop: () => {},
    };
  }
  const display = new LiveDisplay(options.out, state, write);
  return {
    listener: (e) => {
      state.take(e);
      display.show(e);
    },
    stop: () => display.stop(),
  };
}

/** The sweep as the progress lines describe it, kept from the events; and those lines. */
class SweepLines {
  best: number | null = null;
  goal: Goal = 'maximize';
  metric = '';
  done = 0;
  planned: number | null = null;
  /** The built-in trainer reports epochs; a program, its own steps. */
  stepWord = 'epoch';
  objectives: Objectives | null = null;
  /**
   * With several objectives: the Pareto front (as losses) of the complete trials that meet the constraints,
   * as seen finishing in this run, kept as each arrives (the final leaderboard reads the database).
   */
  private front: number[][] = [];
  private evaluated = 0;
  /** max_retries: a failed trial's line says whether it runs again. */
  private retries = 0;

  /** Several objectives: the "best" the display shows is the size of the Pareto front. */
  get multi(): boolean {
    return this.objectives !== null && isMultiObjective(this.objectives);
  }

  /** What the display's bar shows as the best: the size of the front (several objectives), else the best value (feasible, with constraints). */
  get shownBest(): string {
    return this.multi ? `front ${this.front.length}` : `best ${formatNumber(this.best) || '–'}`;
  }

  take(e: SweepEvent): void {
    if (e.type === 'sweep-start') {
      this.goal = e.sweep.metric.goal;
      this.metric = e.sweep.metric.name;
      this.planned = e.planned;
      this.done = e.completed;
      const spec = sweepSpecOf(e.sweep);
      this.stepWord = spec.program ? 'step' : 'epoch';
      this.retries = spec.max_retries ?? 0;
      const objectives = objectivesOf(spec);
      this.objectives = isMultiObjective(objectives) || objectives.constraints.length ? objectives : null;
    } else if (e.type === 'trial-end') {
      // The whole sweep's count and best (other processes' trials too), never less than this process saw.
      this.done = Math.max(this.done, e.completed);
      const o = this.objectives;
      if (o) {
        // The sweep's best counts trials that break a constraint too: here only those that meet them count.
        const values = e.trial.state === 'complete' ? trialValues(o, e.trial) : null;
        if (values && violation(o.constraints, e.trial.metrics) === 0) {
          if (this.multi) this.joinFront(asLoss(o, values));
          else if (this.best === null || isBetter(this.goal, values[0]!, this.best)) this.best = values[0]!;
        }
      } else if (e.best !== null && (this.best === null || isBetter(this.goal, e.best, this.best))) this.best = e.best;
    }
  }

  /** A point joins the front unless one of it dominates it; the points it dominates leave (equal points all stay, as in the ranking). */
  private joinFront(x: number[]): void {
    if (this.front.some((q) => dominates(q, x))) return;
    this.front = [...this.front.filter((q) => !dominates(x, q)), x];
  }

  /** The trial's objectives as `name=value` (several), or the metric's; with constraints, a note of the one it breaks. */
  private valuesOf(trial: TrialRecord): string {
    const o = this.objectives;
    if (!o) return `${this.metric}=${formatNumber(trial.value)}`;
    const shown = o.metrics.map((m) => `${m.name}=${formatNumber(metricValue(m, trial.metrics))}`).join(' ');
    const broken = o.constraints.filter((c) => violation([c], trial.metrics) > 0);
    return broken.length ? `${shown} infeasible (breaks ${broken.map(describeConstraint).join(', ')})` : shown;
  }

  trialLine(trial: TrialRecord): string {
    const { metric, stepWord } = this;
    const progress = `[${this.done}/${this.planned ?? '?'}]`;
    if (trial.state === 'complete') {
      const note = trial.error ? ` [${trial.error}]` : '';
      return `${progress} trial ${trial.number} complete ${this.valuesOf(trial)} ${this.multi ? `front=${this.front.length}` : `best=${formatNumber(this.best)}`} (${formatDuration(durationSeconds(trial))}) ${formatParams(trial.params)}${note}`;
    }
    if (trial.state === 'pruned') {
      return `${progress} trial ${trial.number} pruned after ${stepWord} ${trial.prunedStep ?? '?'} ${metric}=${formatNumber(trial.value)} (${formatDuration(durationSeconds(trial))}) ${formatParams(trial.params)}`;
    }
    const again = trial.state === 'failed' && (trial.attempt ?? 1) <= this.retries ? `; attempt ${trial.attempt ?? 1} of ${this.retries + 1}, it will run again` : '';
    return `${progress} trial ${trial.number} ${trial.state}: ${trial.error ?? ''}${again} (${formatParams(trial.params)})`;
  }

  evaluatingLine(trial: TrialRecord): string {
    // Several objectives: each trial of the front is evaluated, one line each.
    if (this.multi) return `${this.evaluated++ ? '' : 'every trial is done; '}evaluating trial ${trial.number}'s model (on the Pareto front) once on the test split…`;
    return `every trial is done; evaluating the best model (trial ${trial.number}) once on the test split…`;
  }

  private objectivesLine(): string {
    const o = this.objectives;
    const metrics = this.multi ? o!.metrics.map((m) => `${m.name} (${m.goal})`).join(' and ') : `${this.metric} (${this.goal})`;
    return o?.constraints.length ? `${metrics} subject to ${o.constraints.map(describeConstraint).join(', ')}` : metrics;
  }

  startLine(e: Extract<SweepEvent, { type: 'sweep-start' }>): string {
    return (
      `sweep ${e.sweep.name}: ${e.sweep.method} search, ${this.planned ?? 'unbounded'} trials, ${e.workers} worker(s), ${this.objectivesLine()}` +
      (e.resumed ? `; resuming with ${e.completed - (e.pruned ?? 0)} complete${e.pruned ? `, ${e.pruned} pruned` : ''}${e.interrupted ? `, ${e.interrupted} interrupted trial(s) will run again` : ''}` : '')
    );
  }
}

/** A terminal's live display: the sweep's bar (done/total, best, ETA) and one bar per worker slot. */
class LiveDisplay {
  private readonly multibar: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | undefined;
  // One bar per worker slot, reused from trial to trial: removing and adding bars while logging lines above
  // them makes cli-progress drop a line from the display.
  private readonly trialBars = new Map<number, cliProgress.SingleBar>();
  private readonly idleBars: cliProgress.SingleBar[] = [];
  private readonly started = Date.now();
  private startDone = 0;
  private sweepName = '';
  private stopped = false;

  constructor(
    stream: NodeJS.WritableStream,
    private readonly state: SweepLines,
    private readonly write: (line: string) => void,
  ) {
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        // The bars go when the sweep ends (or its best model is evaluated): the final leaderboard is printed
        // below the trial lines, whole, and nothing is redrawn over it.
        clearOnComplete: true,
        hideCursor: true,
        // Logging a line above the bars shifts them down; unchanged bars must still be redrawn.
        forceRedraw: true,
        etaBuffer: 4,
        format: (opts, params, payload: Record<string, string>) => {
          const size = opts.barsize ?? 24;
          const filled = Math.round(params.progress * size);
          const bar = '█'.repeat(filled) + '░'.repeat(size - filled);
          return payload.kind === 'sweep'
            ? `${payload.label} ${bar} ${params.value}/${params.total} trials | ${payload.best} | ETA ${payload.eta}`
            : payload.unit === 'step'
              ? `  trial ${payload.label} ${bar} step ${params.value} ${payload.params}`
              : `  trial ${payload.label} ${bar} epoch ${params.value}/${params.total} ${payload.params}`;
        },
      },
      cliProgress.Presets.shades_classic,
    );
  }

  private eta(): string {
    const { done, planned } = this.state;
    const finished = done - this.startDone;
    if (!planned || finished === 0) return '…';
    const perTrial = (Date.now() - this.started) / 1000 / finished;
    return formatDuration(Math.max(0, planned - done) * perTrial);
  }

  private overallPayload(): Record<string, string> {
    return { kind: 'sweep', label: this.sweepName, best: this.state.shownBest, eta: this.eta() };
  }

  /** cli-progress draws the bars once more on every stop(): a second stop would print them below the leaderboard. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multibar.stop();
  }

  /** A line above the bars, which are redrawn at once (after log() they otherwise wait for the next tick). */
  private log(line: string): void {
    this.multibar.log(`${printable(line)}\n`);
    this.multibar.update();
  }

  show(e: SweepEvent): void {
    switch (e.type) {
      case 'sweep-start':
        this.write(this.state.startLine(e));
        this.startDone = e.completed;
        this.sweepName = e.sweep.name;
        this.overall = this.multibar.create(this.state.planned ?? 0, this.state.done, this.overallPayload());
        break;
      case 'trial-start':
        this.trialStarted(e);
        break;
      case 'epoch':
        // Counted rather than read from the epoch number: executions_per_trial restarts the numbering.
        this.trialBars.get(e.trial.id)?.increment();
        break;
      case 'trial-end': {
        const bar = this.trialBars.get(e.trial.id);
        if (bar) {
          bar.update(0, { kind: 'trial', label: '-', params: 'waiting for the next trial' });
          this.idleBars.push(bar);
        }
        this.trialBars.delete(e.trial.id);
        this.overall?.update(this.state.done, this.overallPayload());
        this.log(this.state.trialLine(e.trial));
        break;
      }
      case 'notice':
        if (this.stopped || !this.overall) this.write(e.message);
        else this.log(e.message);
        break;
      case 'warning':
        if (this.stopped || !this.overall) this.write(`warning: ${e.message}`);
        else this.log(`warning: ${e.message}`);
        break;
      case 'evaluating':
        this.stop();
        this.write(this.state.evaluatingLine(e.trial));
        break;
      case 'sweep-end':
        this.stop();
        break;
      default:
        break;
    }
  }

  private trialStarted(e: Extract<SweepEvent, { type: 'trial-start' }>): void {
    // A program's number of steps is unknown: its bar counts steps against a total of 1.
    const unit = e.totalEpochs === null ? 'step' : 'epoch';
    const payload = { kind: 'trial', unit, label: String(e.trial.number), params: formatParams(e.trial.params) };
    const total = e.totalEpochs ?? 1;
    const bar = this.idleBars.pop();
    if (bar) {
      bar.setTotal(total);
      bar.update(0, payload);
    }
    this.trialBars.set(e.trial.id, bar ?? this.multibar.create(total, 0, payload));
  }
}
