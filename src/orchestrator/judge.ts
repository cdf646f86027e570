/**
 * The sweep's pruning judge: after each stored step of a running trial, asks the sweep's pruner whether the
 * trial should stop there, from the curves the database holds (its own steps included, so a resumed sweep
 * or another process decides the same way). Finished trials' curves never change, so each question reads
 * only the new and unfinished trials' steps. When a trial is stopped, its value is the metric at its last
 * step, computed from the steps this process holds: nothing is read back.
 */
import type { EpochRecord, Metrics, TrialRecord } from '../core/records.js';
import { createPruner, type Curve, type Pruner } from '../pruners/index.js';
import { HistoryCache, type Storage } from '../storage/storage.js';
import type { SweepSpec } from '../sweep-file/types.js';

/** What a pruned trial is recorded with: the metric at its last step, that step's metrics, and the step. */
export interface PrunedResult {
  value: number | null;
  metrics: Metrics | null;
  step: number;
}

export class Judge {
  private readonly pruner: Pruner | null;
  private readonly curves = new HistoryCache();

  constructor(
    private readonly storage: Storage,
    private readonly sweepId: number,
    private readonly spec: SweepSpec,
  ) {
    this.pruner = createPruner(spec.pruner ?? null, { goal: spec.metric.goal, sweepName: spec.name, lastStep: finalStepOf(spec) });
  }

  /** Whether the sweep has a pruner: trials report each step and wait for the verdict. */
  get active(): boolean {
    return this.pruner !== null;
  }

  /** Should `trial` stop at the step it last reported (stored already)? Only the first execution's steps are judged. */
  async shouldPrune(trial: TrialRecord): Promise<boolean> {
    if (!this.pruner) return false;
    const all = this.curves.merge(this.sweepId, await this.storage.listTrials(this.sweepId, { withEpochs: true, only: this.curves.delta(this.sweepId) }));
    const curves = all.map((t) => curveOf(t, this.spec));
    const mine = curves.find((c) => c.number === trial.number);
    if (!mine || mine.steps.length === 0) return false;
    return this.pruner.prune({ ...mine, state: 'running' }, curves);
  }

  /** A stopped trial's record, from all of its steps (stored or not). */
  prunedResult(trial: TrialRecord, epochs: readonly EpochRecord[]): PrunedResult {
    const curve = curveOf({ ...trial, epochs: [...epochs] }, this.spec);
    const last = epochs.filter((e) => !e.execution).sort((a, b) => a.epoch - b.epoch).pop();
    const value = curve.values.length ? curve.values[curve.values.length - 1]! : NaN;
    return { value: Number.isFinite(value) ? value : null, metrics: last?.metrics ?? null, step: last?.epoch ?? 0 };
  }
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
