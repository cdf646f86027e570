/**
 * Runs a user's objective module: `export default async (params, trial) => number | Record<string, number>`.
 * The module is imported once per worker thread and reused for every trial.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TrialError } from '../errors.js';
import { quoteValue } from '../core/text.js';
import type { Params } from '../space/distributions.js';
import type { EpochRecord, Metrics } from '../core/records.js';
import { awaitDecision } from './decisions.js';
import { nestParams } from '../sweep-file/nested.js';

/** What an objective receives as its second argument. */
export interface TrialHandle {
  number: number;
  seed: number;
  params: Params;
  /** Stores one step's metrics (like an epoch of the built-in trainer). */
  report(step: number, metrics: Record<string, number>): void;
  /**
   * Whether the sweep's pruner wants this trial stopped at the step last reported (false without a pruner or
   * before any report). Synchronous, as Optuna's `should_prune()`: it waits until that step is stored and
   * judged. Stop by returning (the trial is recorded pruned at its last step) or by throwing TrialPruned.
   */
  shouldPrune(): boolean;
  /**
   * Keeps a JSON value (at most 1 MB) with the trial, replacing the last: if the trial is interrupted (its
   * process killed, its machine lost), the process that runs it again gets it back as `trial.state`, and the
   * steps reported up to the last one before it are kept.
   */
  saveState(value: unknown): void;
  /** The value the trial's interrupted run last saved with `saveState`; undefined in a run from the beginning. */
  readonly state: unknown;
}

/** The largest `saveState` value, as JSON. */
export const MAX_STATE_BYTES = 1 << 20;

export type Objective = (params: Params, trial: TrialHandle) => unknown;

const modules = new Map<string, Promise<Objective>>();

/**
 * Imports the module. A TypeScript file that this Node cannot load by itself (Node < 22.18 has no type
 * stripping) is loaded through `tsx` when the objective's project (or tfsweep's) has it installed.
 */
async function importModule(url: string): Promise<{ default?: unknown }> {
  try {
    return (await import(url)) as { default?: unknown };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !/\.[mc]?ts$/.test(url)) throw err;
    const file = fileURLToPath(url);
    const api = findTsxApi(file) ?? findTsxApi(fileURLToPath(import.meta.url));
    if (!api) {
      throw new TrialError(
        `${file}: this Node (${process.version}) cannot load TypeScript by itself; install tsx beside the objective (npm install --save-dev tsx) or use Node ≥ 22.18`,
      );
    }
    const { tsImport } = (await import(pathToFileURL(api).href)) as { tsImport: (specifier: string, parent: string) => Promise<{ default?: unknown }> };
    const mod = await tsImport(url, url);
    // tsx wraps an ES module's exports once more under `default` when it compiles to CommonJS.
    const inner = mod.default as { default?: unknown } | undefined;
    return typeof mod.default === 'function' ? mod : inner && typeof inner === 'object' && 'default' in inner ? inner : mod;
  }
}

/** The ES-module entry of tsx's `tsx/esm/api`, as installed for the file at `from`, or null. */
function findTsxApi(from: string): string | null {
  try {
    const pkgFile = createRequire(from).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: Record<string, unknown> };
    const entry = pkg.exports?.['./esm/api'] as { import?: string | { default?: string } } | undefined;
    const target = typeof entry?.import === 'string' ? entry.import : entry?.import?.default;
    return target ? path.join(path.dirname(pkgFile), target) : null;
  } catch {
    return null;
  }
}

export function loadObjective(url: string): Promise<Objective> {
  let loaded = modules.get(url);
  if (!loaded) {
    loaded = importModule(url).then((mod: { default?: unknown }) => {
      if (typeof mod.default !== 'function') {
        throw new TrialError(`${url}: the module has no default export function (export default async (params, trial) => number)`);
      }
      return mod.default as Objective;
    });
    // A module that failed to load is retried next time rather than cached as failed.
    loaded.catch(() => modules.delete(url));
    modules.set(url, loaded);
  }
  return loaded;
}

/** The objective's result as metrics: a number stands for the one metric; a record must hold every required one. */
function asMetrics(value: unknown, required: readonly string[]): Metrics {
  const quoted = required.map((n) => `"${n}"`).join(', ');
  if (typeof value === 'number') {
    if (required.length === 1) return { [required[0]!]: value };
    throw new TrialError(`the objective returned the number ${quoteValue(value)}, but this sweep needs a record holding each of ${quoted} (its metrics and constraints), e.g. return { ${required.map((n) => `${n}: …`).join(', ')} }`);
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const metrics: Metrics = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'number') throw new TrialError(`the objective returned a record whose "${k}" is not a number (${quoteValue(v)})`);
      metrics[k] = v;
    }
    const missing = required.filter((n) => !(n in metrics));
    if (missing.length) throw new TrialError(`the objective returned a record without ${missing.length > 1 ? 'the metrics' : 'the metric'} ${missing.map((n) => `"${n}"`).join(', ')} (keys: ${Object.keys(metrics).join(', ') || 'none'})`);
    return metrics;
  }
  throw new TrialError(`the objective returned ${quoteValue(value)}; expected ${required.length === 1 ? `a number or a record of numbers holding ${quoted}` : `a record of numbers holding ${quoted}`}`);
}

function lastMetrics(epochs: readonly EpochRecord[]): Metrics {
  return epochs.length ? epochs[epochs.length - 1]!.metrics : {};
}

/** What an objective may throw to stop after `trial.shouldPrune()` (any Error named "TrialPruned" does). */
export class TrialPruned extends Error {
  override name = 'TrialPruned';
}

export async function runObjective(
  url: string,
  /** The metrics the result must hold; the first is the one the pruner judges. */
  required: readonly string[],
  info: { number: number; seed: number; params: Params; nested?: string[]; state?: unknown; resumedAfter?: number },
  onStep: (epoch: EpochRecord, judged: number | null) => void,
  decisions?: SharedArrayBuffer,
  onState?: (step: number, state: unknown) => void,
): Promise<{ metrics: Metrics; epochs: EpochRecord[]; pruned?: boolean }> {
  const objective = await loadObjective(url);
  const metricName = required[0]!;
  const epochs: EpochRecord[] = [];
  const reported = new Set<number>();
  let judged = 0;
  /** Whether the last report was judged: one without the sweep's metric is stored but not judged. */
  let lastJudged = false;
  /** The answer for report `judged`, once asked: the objective may ask more than once. */
  let answered: { seq: number; prune: boolean } | null = null;
  // Pruned when the objective ends right after being told to stop at its last report; one that reports on
  // after a stop answer has ignored it, and its own result stands.
  const stoppedHere = (): boolean => lastJudged && answered !== null && answered.prune && answered.seq === judged;
  const { state: resumedState, resumedAfter, ...rest } = info;
  const trial: TrialHandle = {
    ...rest,
    state: resumedState,
    saveState(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (err) {
        throw new TrialError(`trial.saveState: the value cannot be written as JSON (${(err as Error).message})`);
      }
      if (text === undefined) throw new TrialError(`trial.saveState: ${quoteValue(value)} cannot be written as JSON`);
      if (Buffer.byteLength(text) > MAX_STATE_BYTES) throw new TrialError(`trial.saveState: the value is ${Buffer.byteLength(text)} bytes as JSON; at most ${MAX_STATE_BYTES}`);
      // Saved after the last step reported: in a resumed run, possibly one its interrupted run reported.
      onState?.(epochs.length ? epochs[epochs.length - 1]!.epoch : (resumedAfter ?? 0), JSON.parse(text));
    },
    // Checked as the final result is: what is stored must be what was meant (NaN would be stored as null).
    report(step, metrics) {
      if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0) throw new TrialError(`trial.report: step must be an integer ≥ 0, got ${quoteValue(step)}`);
      if (reported.has(step)) throw new TrialError(`trial.report: step ${step} was already reported; report each step once`);
      if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) throw new TrialError(`trial.report(${step}): expected a record of metrics, got ${quoteValue(metrics)}`);
      const values: Metrics = {};
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrialError(`trial.report(${step}): metric "${k}" is ${quoteValue(v)}; metrics must be finite numbers`);
        values[k] = v;
      }
      reported.add(step);
      const record: EpochRecord = { epoch: step, metrics: values, durationMs: null, samples: null };
      epochs.push(record);
      // The pruner judges a step by the sweep's metric: a step without it (other metrics logged between
      // judged steps, or a metric under another name) is stored and not judged, rather than read as NaN.
      lastJudged = decisions !== undefined && metricName in values;
      onStep(record, lastJudged ? ++judged : null);
    },
    shouldPrune() {
      if (!decisions || judged === 0 || !lastJudged) return false;
      if (answered?.seq !== judged) answered = { seq: judged, prune: awaitDecision(decisions, judged) };
      return answered.prune;
    },
  };
  let result: unknown;
  try {
    result = await objective(nestParams(info.params, info.nested) as Params, trial);
  } catch (err) {
    // Optuna's idiom: `throw new TrialPruned()` after shouldPrune() said so.
    if (stoppedHere() && err instanceof Error && err.name === 'TrialPruned') return { metrics: lastMetrics(epochs), epochs, pruned: true };
    throw err;
  }
  // Told to stop at its last step and it stopped: pruned there, whatever it returns.
  if (stoppedHere()) return { metrics: lastMetrics(epochs), epochs, pruned: true };
  const metrics = asMetrics(result, required);
  return { metrics, epochs };
}
