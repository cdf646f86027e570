/** The sweep file's `pruner:` (or W&B `early_terminate:`) as a Pruner. */
import type { PrunerSpec } from '../sweep-file/types.js';
import { HyperbandPruner } from './hyperband.js';
import { PercentilePruner } from './percentile.js';
import type { PruneContext, Pruner } from './pruner.js';
import { SuccessiveHalvingPruner } from './successive-halving.js';
import { ThresholdPruner } from './threshold.js';
import { WandbHyperbandPruner } from './wandb-hyperband.js';

export type { Curve, PruneContext, Pruner } from './pruner.js';

/** null for `none` (or no pruner): every trial runs to its end. */
export function createPruner(spec: PrunerSpec | null, context: PruneContext): Pruner | null {
  if (!spec) return null;
  switch (spec.type) {
    case 'none':
      return null;
    case 'median':
    case 'percentile':
      return new PercentilePruner(spec, context);
    case 'successive_halving':
      return new SuccessiveHalvingPruner(spec, context);
    case 'hyperband':
      return new HyperbandPruner(spec, context);
    case 'threshold':
      return new ThresholdPruner(spec);
    case 'wandb_hyperband':
      return new WandbHyperbandPruner(spec, context);
  }
}
