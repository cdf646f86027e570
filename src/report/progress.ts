/**
 * What a person sees while a sweep runs. On a terminal: a live display (cli-progress) with the sweep's
 * done/total, best so far and ETA, and one bar per running trial with its epoch. Elsewhere (logs, CI, pipes):
 * one plain line per finished trial.
 */
import cliProgress from 'cli-progress';
import type { SweepEvent, SweepListener } from '../orchestrator/events.js';
import type { TrialRecord } from '../core/records.js';
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
  let best: number | null = null;
  let goal: 'maximize' | 'minimize' = 'maximize';
  let metric = '';
  let done = 0;
  let planned: number | null = null;
  /** The built-in trainer reports epochs; a program, its own steps. */
  let stepWord = 'epoch';
  const out = options.out as NodeJS.WritableStream & { destroyed?: boolean };
  // Every line is made printable where it is written (here and in multibar.log below), once: trial errors
  // and parameter values may hold terminal escapes.
  const write = (line: string): void => {
    if (!out.destroyed) out.write(`${printable(line)}\n`);
  };

  const better = (value: number): boolean => best === null || (goal === 'maximize' ? value > best : value < best);

  const trialLine = (trial: TrialRecord): string => {
    const progress = `[${done}/${planned ?? '?'}]`;
    if (trial.state === 'complete') {
      const note = trial.error ? ` [${trial.error}]` : '';
      return `${progress} trial ${trial.number} complete ${metric}=${formatNumber(trial.value)} best=${formatNumber(best)} (${formatDuration(durationSeconds(trial))}) ${formatParams(trial.params)}${note}`;
    }
    if (trial.state === 'pruned') {
      return `${progress} trial ${trial.number} pruned after ${stepWord} ${trial.prunedStep ?? '?'} ${metric}=${formatNumber(trial.value)} (${formatDuration(durationSeconds(trial))}) ${formatParams(trial.params)}`;
    }
    return `${progress} trial ${trial.number} ${trial.state}: ${trial.error ?? ''} (${formatParams(trial.params)})`;
  };

  const evaluatingLine = (trial: TrialRecord): string => `every trial is done; evaluating the best model (trial ${trial.number}) once on the test split…`;

  const startLine = (e: Extract<SweepEvent, { type: 'sweep-start' }>): string =>
    `sweep ${e.sweep.name}: ${e.sweep.method} search, ${planned ?? 'unbounded'} trials, ${e.workers} worker(s), ${metric} (${goal})` +
    (e.resumed ? `; resuming with ${e.completed - (e.pruned ?? 0)} complete${e.pruned ? `, ${e.pruned} pruned` : ''}${e.interrupted ? `, ${e.interrupted} interrupted trial(s) will run again` : ''}` : '');

  const onCommon = (e: SweepEvent): void => {
    if (e.type === 'sweep-start') {
      goal = e.sweep.metric.goal;
      metric = e.sweep.metric.name;
      planned = e.planned;
      done = e.completed;
      stepWord = sweepSpecOf(e.sweep).program ? 'step' : 'epoch';
    } else if (e.type === 'trial-end') {
      // The whole sweep's count and best (other processes' trials too), never less than this process saw.
      done = Math.max(done, e.completed);
      if (e.best !== null && better(e.best)) best = e.best;
    }
  };

  if (!options.tty) {
    return {
      listener: (e) => {
        onCommon(e);
        if (e.type === 'sweep-start') write(startLine(e));
        else if (e.type === 'trial-end') write(trialLine(e.trial));
        else if (e.type === 'evaluating') write(evaluatingLine(e.trial));
        else if (e.type === 'warning') write(`warning: ${e.message}`);
      },
      stop: () => {},
    };
  }

  const multibar = new cliProgress.MultiBar(
    {
      stream: options.out,
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
          ? `${payload.label} ${bar} ${params.value}/${params.total} trials | best ${payload.best} | ETA ${payload.eta}`
          : payload.unit === 'step'
            ? `  trial ${payload.label} ${bar} step ${params.value} ${payload.params}`
            : `  trial ${payload.label} ${bar} epoch ${params.value}/${params.total} ${payload.params}`;
      },
    },
    cliProgress.Presets.shades_classic,
  );
  let overall: cliProgress.SingleBar | undefined;
  // One bar per worker slot, reused from trial to trial: removing and adding bars while logging lines above
  // them makes cli-progress drop a line from the display.
  const trialBars = new Map<number, cliProgress.SingleBar>();
  const idleBars: cliProgress.SingleBar[] = [];
  const started = Date.now();
  let startDone = 0;
  let sweepName = '';

  const eta = (): string => {
    const finished = done - startDone;
    if (!planned || finished === 0) return '…';
    const perTrial = (Date.now() - started) / 1000 / finished;
    return formatDuration(Math.max(0, planned - done) * perTrial);
  };
  // cli-progress draws the bars once more on every stop(): a second stop would print them below the leaderboard.
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    multibar.stop();
  };
  const overallPayload = (): Record<string, string> => ({ kind: 'sweep', label: sweepName, best: formatNumber(best) || '–', eta: eta() });

  return {
    listener: (e) => {
      onCommon(e);
      switch (e.type) {
        case 'sweep-start':
          write(startLine(e));
          startDone = e.completed;
          sweepName = e.sweep.name;
          overall = multibar.create(planned ?? 0, done, overallPayload());
          break;
        case 'trial-start': {
          // A program's number of steps is unknown: its bar counts steps against a total of 1.
          const unit = e.totalEpochs === null ? 'step' : 'epoch';
          const payload = { kind: 'trial', unit, label: String(e.trial.number), params: formatParams(e.trial.params) };
          const total = e.totalEpochs ?? 1;
          const bar = idleBars.pop();
          if (bar) {
            bar.setTotal(total);
            bar.update(0, payload);
          }
          trialBars.set(e.trial.id, bar ?? multibar.create(total, 0, payload));
          break;
        }
        case 'epoch':
          // Counted rather than read from the epoch number: executions_per_trial restarts the numbering.
          trialBars.get(e.trial.id)?.increment();
          break;
        case 'trial-end': {
          const bar = trialBars.get(e.trial.id);
          if (bar) {
            bar.update(0, { kind: 'trial', label: '-', params: 'waiting for the next trial' });
            idleBars.push(bar);
          }
          trialBars.delete(e.trial.id);
          multibar.log(`${printable(trialLine(e.trial))}\n`);
          overall?.update(done, overallPayload());
          // Redraw now: after log() the display otherwise waits for the next tick with a line missing.
          multibar.update();
          break;
        }
        case 'warning':
          if (stopped || !overall) write(`warning: ${e.message}`);
          else {
            multibar.log(`${printable(`warning: ${e.message}`)}\n`);
            multibar.update();
          }
          break;
        case 'evaluating':
          stop();
          write(evaluatingLine(e.trial));
          break;
        case 'sweep-end':
          stop();
          break;
        default:
          break;
      }
    },
    stop,
  };
}
