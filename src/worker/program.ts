/**
 * Runs a user's objective module: `export default async (params, trial) => number | Record<string, number>`.
 * The module is imported once per worker thread and reused for every trial.
 */
import { TrialError } from '../errors.js';
import type { Params } from '../space/distributions.js';
import type { EpochRecord, Metrics } from '../storage/storage.js';

/** What an objective receives as its second argument. */
export interface TrialHandle {
  number: number;
  seed: number;
  params: Params;
  /** Stores one step's metrics (like an epoch of the built-in trainer). */
  report(step: number, metrics: Record<string, number>): void;
  /** Whether the sweep's pruner wants this trial stopped (always false: no pruner yet). */
  shouldPrune(): boolean;
}

export type Objective = (params: Params, trial: TrialHandle) => unknown;

const modules = new Map<string, Promise<Objective>>();

export function loadObjective(url: string): Promise<Objective> {
  let loaded = modules.get(url);
  if (!loaded) {
    loaded = import(url).then((mod: { default?: unknown }) => {
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

function asMetrics(value: unknown, metricName: string): Metrics {
  if (typeof value === 'number') return { [metricName]: value };
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const metrics: Metrics = {};
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'number') throw new TrialError(`the objective returned a record whose "${k}" is not a number (${JSON.stringify(v)})`);
      metrics[k] = v;
    }
    if (!(metricName in metrics)) throw new TrialError(`the objective returned a record without the metric "${metricName}" (keys: ${Object.keys(metrics).join(', ') || 'none'})`);
    return metrics;
  }
  throw new TrialError(`the objective returned ${JSON.stringify(value)}; expected a number or a record of numbers holding "${metricName}"`);
}

export async function runObjective(
  url: string,
  metricName: string,
  info: { number: number; seed: number; params: Params },
  onStep: (epoch: EpochRecord) => void,
): Promise<{ metrics: Metrics; epochs: EpochRecord[] }> {
  const objective = await loadObjective(url);
  const epochs: EpochRecord[] = [];
  const trial: TrialHandle = {
    ...info,
    report(step, metrics) {
      if (!Number.isInteger(step)) throw new TrialError(`trial.report: step must be an integer, got ${step}`);
      const record: EpochRecord = { epoch: step, metrics: { ...metrics }, durationMs: null, samples: null };
      epochs.push(record);
      onStep(record);
    },
    shouldPrune: () => false,
  };
  const metrics = asMetrics(await objective(info.params, trial), metricName);
  return { metrics, epochs };
}
