import type { Params } from '../space/distributions.js';
import type { TrialRecord } from '../core/records.js';

/**
 * Proposes the parameters of configuration number `index` (0, 1, 2, … in the order the orchestrator asks).
 * Samplers keep no state of their own: whatever they need comes from the spec and the history passed in, so
 * a resumed sweep asks the same questions and gets the same answers.
 */
export interface Sampler {
  /** The params of configuration `index`, or null when the space has no configuration left. */
  sample(index: number, history: readonly TrialRecord[]): Params | null;
  /** How many configurations the space holds, or null when it is unbounded (random search). */
  size(): number | null;
}
