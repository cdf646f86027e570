/**
 * A trial as a child process (`command:` in the sweep file, W&B's semantics): the command line is built
 * from W&B's macros, the process runs in a process group of its own under a launcher that ends it if
 * tfsweep ends, and it reports through its stdout: lines of `name=value` pairs (Katib's format) or JSON
 * objects, one step per line (`epoch=` or `step=` names it); the last value of each metric is the trial's.
 * A nonzero exit fails the trial with the end of its stderr.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TrialError } from '../errors.js';
import type { EpochRecord, Metrics } from '../core/records.js';
import type { ParamValue, Params } from '../space/distributions.js';
import type { CommandTask, TrialResult, WorkerMessage } from './protocol.js';
import { CONTINUE, PRUNE, decisionLater } from './decisions.js';

const LAUNCHER = new URL('./launcher.js', import.meta.url);

/** What is kept of a failed command's stderr for its error message. */
const STDERR_TAIL = 2000;

/** `python` where it is on the PATH, else `python3` (W&B's `${interpreter}`, on systems without `python`). */
export function interpreter(envPath = process.env.PATH ?? ''): string {
  for (const dir of envPath.split(path.delimiter)) {
    try {
      accessSync(path.join(dir, 'python'), constants.X_OK);
      return 'python';
    } catch {
      // not here
    }
  }
  return 'python3';
}

const text = (v: ParamValue): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The command line, W&B's macros expanded: `${args}` and its kin become one argument per parameter. */
export function expandCommand(tokens: readonly string[], program: string | null, params: Params, argsJsonFile: () => string): string[] {
  const entries = Object.entries(params);
  const whole: Record<string, () => string[]> = {
    '${env}': () => ['/usr/bin/env'],
    '${interpreter}': () => [interpreter()],
    '${program}': () => (program ? [program] : []),
    '${args}': () => entries.map(([k, v]) => `--${k}=${text(v)}`),
    '${args_no_hyphens}': () => entries.map(([k, v]) => `${k}=${text(v)}`),
    '${args_no_boolean_flags}': () => entries.flatMap(([k, v]) => (v === true ? [`--${k}`] : v === false ? [] : [`--${k}=${text(v)}`])),
    '${args_json}': () => [JSON.stringify(params)],
    '${args_json_file}': () => [argsJsonFile()],
  };
  return tokens.flatMap((token) => {
    const expand = whole[token];
    if (expand) return expand();
    // A macro inside a longer token stands for its one value (`--config=${args_json_file}`).
    return [token.replace(/\$\{(env|interpreter|program|args_json|args_json_file)\}/g, (m) => whole[m]!().join(' '))];
  });
}

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)`;
const PAIR = new RegExp(String.raw`([A-Za-z_][\w.\-/]*)\s*=\s*(${NUMBER})(?![\w.])`, 'g');

/** The metrics a line of output reports (and its step, when it names one), or null for any other line. */
export function parseMetricsLine(line: string): { step: number | null; metrics: Metrics } | null {
  const trimmed = line.trim();
  let pairs: Array<[string, number]> = [];
  if (trimmed.startsWith('{')) {
    try {
      const doc = JSON.parse(trimmed) as unknown;
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) pairs = Object.entries(doc).filter((e): e is [string, number] => typeof e[1] === 'number');
    } catch {
      // not JSON: read as name=value pairs below
    }
  }
  if (!pairs.length) pairs = [...trimmed.matchAll(PAIR)].map((m) => [m[1]!, Number(m[2]!.toLowerCase().replace('inf', 'Infinity').replace('nan', 'NaN'))]);
  if (!pairs.length) return null;
  let step: number | null = null;
  const metrics: Metrics = {};
  for (const [name, value] of pairs) {
    if ((name === 'epoch' || name === 'step') && Number.isSafeInteger(value) && value >= 0) step = value;
    else metrics[name] = value;
  }
  return Object.keys(metrics).length ? { step, metrics } : null;
}

/** Runs one trial's command to its end; rejects with a TrialError when it fails, with an Error when stopped. */
export async function runCommand(task: CommandTask, onMessage: (message: WorkerMessage) => void, signal: AbortSignal): Promise<TrialResult> {
  let scratch: string | null = null;
  const argsJsonFile = () => {
    scratch ??= mkdtempSync(path.join(os.tmpdir(), 'tfsweep-args-'));
    const file = path.join(scratch, `trial-${task.number}.json`);
    writeFileSync(file, JSON.stringify(task.params));
    return file;
  };
  const argv = expandCommand(task.command, task.program, task.params, argsJsonFile);
  const graceMs = Math.round(task.graceSeconds * 1000);
  const child = spawn(process.execPath, [LAUNCHER.pathname, String(graceMs), '--', ...argv], {
    cwd: task.program ? path.dirname(task.program) : process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...task.env },
  });
  onMessage({ type: 'started', trialId: task.trialId, backend: null });
  const epochs: EpochRecord[] = [];
  const final: Metrics = {};
  let stderr = '';
  let status: { code: number | null; signal: string | null } | null = null;
  let pruned = false;
  let stopping = false;
  let judged = 0;
  let killTimer: NodeJS.Timeout | undefined;
  /** SIGTERM to the trial's process group, SIGKILL after the grace period. */
  const stop = () => {
    if (stopping) return;
    stopping = true;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // ended already
    }
    killTimer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // ended already
      }
    }, graceMs + 500);
  };
  signal.addEventListener('abort', stop, { once: true });
  child.on('message', (m: { code: number | null; signal: string | null }) => (status = m));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-STDERR_TAIL * 2)));
  const lines = createInterface({ input: child.stdout! });
  const judging: Array<Promise<void>> = [];
  lines.on('line', (line) => {
    const parsed = parseMetricsLine(line);
    if (!parsed || stopping) return;
    const step = parsed.step ?? (epochs.length ? epochs[epochs.length - 1]!.epoch + 1 : 1);
    Object.assign(final, parsed.metrics);
    const epoch: EpochRecord = { epoch: step, metrics: parsed.metrics, durationMs: null, samples: null };
    epochs.push(epoch);
    const judge = task.decisions && task.metricName in parsed.metrics ? ++judged : null;
    onMessage({ type: 'epoch', trialId: task.trialId, epoch, totalEpochs: null, ...(judge ? { judged: judge } : {}) });
    if (judge && task.decisions) {
      judging.push(
        decisionLater(task.decisions, judge, () => stopping).then((verdict) => {
          if (verdict === PRUNE && !stopping) {
            pruned = true;
            stop();
          } else if (verdict !== CONTINUE && verdict !== PRUNE) stop();
        }),
      );
    }
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, sig) => resolve({ code, signal: sig })));
  clearTimeout(killTimer);
  signal.removeEventListener('abort', stop);
  // Whatever the command started and left in its group goes now.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // nothing left
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  const ended = status ?? { code: exit.code, signal: exit.signal };
  if (pruned) return { metrics: epochs.length ? epochs[epochs.length - 1]!.metrics : {}, epochs, backend: null, tensorsBefore: null, tensorsAfter: null, pruned: true };
  if (signal.aborted) throw new Error('the sweep is stopping: the command was stopped');
  if (ended.code !== 0) {
    const tail = stderr.trim().slice(-STDERR_TAIL);
    const how = ended.code === null ? `was killed by ${ended.signal}` : `exited with code ${ended.code}`;
    throw new TrialError(`the command ${how}${tail ? `: ${tail}` : ' (nothing on stderr)'}`);
  }
  await Promise.all(judging);
  return { metrics: final, epochs, backend: null, tensorsBefore: null, tensorsAfter: null };
}
