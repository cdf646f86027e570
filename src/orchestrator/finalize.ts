/**
 * The end of a sweep's models: the best trial's model (with several objectives, each Pareto-optimal trial's)
 * is evaluated once on the test split (stored, never used to select), and saved models beyond the best `save_models` are deleted. Run by the process that
 * finishes the sweep; run again by any later `tfsweep run` of the finished sweep when that process was cut
 * short, so a crash between the last trial and the evaluation loses nothing. Both steps skip what is done.
 */
import { bestFirst, paretoTrials, type Metrics, type TrialRecord } from '../core/records.js';
import { isMultiObjective, type Objectives } from '../core/metric.js';
import type { Storage } from '../storage/storage.js';
import type { ModelKeeper } from './model-keeper.js';

export interface FinalizeInput {
  storage: Storage;
  sweepId: number;
  objectives: Objectives;
  saveModels: number | null;
  keeper: ModelKeeper;
  /** Test-split loss and accuracy of the model in `dir`; null when the dataset has no test split. */
  evaluate: ((trial: TrialRecord, dir: string) => Promise<Metrics>) | null;
}

/** The trials whose models are evaluated on the test split: the best, or with several objectives the Pareto front. */
function chosen(objectives: Objectives, trials: readonly TrialRecord[]): TrialRecord[] {
  return isMultiObjective(objectives) ? paretoTrials(objectives, trials) : bestFirst(objectives, trials).slice(0, 1);
}

/** Whether `finalizeModels` has anything left to do for these trials. */
export function needsFinalizing(trials: readonly TrialRecord[], objectives: Objectives, saveModels: number | null, canEvaluate: boolean): boolean {
  if (canEvaluate && chosen(objectives, trials).some((t) => t.modelPath && !t.testMetrics)) return true;
  return saveModels !== null && bestFirst(objectives, trials).slice(saveModels).some((t) => t.modelPath);
}

export async function finalizeModels(input: FinalizeInput): Promise<void> {
  const trials = await input.storage.listTrials(input.sweepId);
  const ranked = bestFirst(input.objectives, trials);
  // Models beyond save_models go only after the evaluation: a Pareto-optimal trial ranked past save_models
  // is still evaluated (its model is then removed).
  if (input.evaluate) {
    for (const trial of chosen(input.objectives, trials)) {
      if (trial.testMetrics) continue;
      const model = await input.keeper.open(trial);
      if (!model) continue;
      try {
        await input.storage.setTestMetrics(trial.id, await input.evaluate(trial, model.dir));
      } finally {
        model.release();
      }
    }
  }
  if (input.saveModels !== null) {
    for (const trial of ranked.slice(input.saveModels)) if (trial.modelPath) await input.keeper.remove(trial);
  }
}
