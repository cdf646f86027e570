/**
 * The end of a sweep's models: the best trial's model is evaluated once on the test split (stored, never
 * used to select), and saved models beyond the best `save_models` are deleted. Run by the process that
 * finishes the sweep; run again by any later `tfsweep run` of the finished sweep when that process was cut
 * short, so a crash between the last trial and the evaluation loses nothing. Both steps skip what is done.
 */
import { bestFirst, type Goal, type Metrics, type TrialRecord } from '../core/records.js';
import type { Storage } from '../storage/storage.js';
import type { ModelKeeper } from './model-keeper.js';

export interface FinalizeInput {
  storage: Storage;
  sweepId: number;
  goal: Goal;
  saveModels: number | null;
  keeper: ModelKeeper;
  /** Test-split loss and accuracy of the model in `dir`; null when the dataset has no test split. */
  evaluate: ((trial: TrialRecord, dir: string) => Promise<Metrics>) | null;
}

/** Whether `finalizeModels` has anything left to do for these trials. */
export function needsFinalizing(trials: readonly TrialRecord[], goal: Goal, saveModels: number | null, canEvaluate: boolean): boolean {
  const ranked = bestFirst(goal, trials);
  if (canEvaluate && ranked[0]?.modelPath && !ranked[0].testMetrics) return true;
  return saveModels !== null && ranked.slice(saveModels).some((t) => t.modelPath);
}

export async function finalizeModels(input: FinalizeInput): Promise<void> {
  const ranked = bestFirst(input.goal, await input.storage.listTrials(input.sweepId));
  const best = ranked[0];
  if (input.evaluate && best && !best.testMetrics) {
    const model = await input.keeper.open(best);
    if (model) {
      try {
        await input.storage.setTestMetrics(best.id, await input.evaluate(best, model.dir));
      } finally {
        model.release();
      }
    }
  }
  if (input.saveModels !== null) {
    for (const trial of ranked.slice(input.saveModels)) if (trial.modelPath) await input.keeper.remove(trial);
  }
}
