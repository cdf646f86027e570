/**
 * Every pruner tfsweep knows, one line each. A new pruner is one new file (its plug-in: keys, defaults,
 * checks, description, constructor; see plugin.ts) and one line here: the sweep file's schema, validation,
 * `tfsweep validate`, the spec's types and the orchestrator all read this list.
 */
import { hyperbandPlugin } from './hyperband.js';
import { nonePlugin } from './none.js';
import { medianPlugin, percentilePlugin } from './percentile.js';
import type { AnyPrunerPlugin, PrunerSpecOf } from './plugin.js';
import { successiveHalvingPlugin } from './successive-halving.js';
import { thresholdPlugin } from './threshold.js';
import { wandbHyperbandPlugin } from './wandb-hyperband.js';

export const PRUNERS = [medianPlugin, percentilePlugin, successiveHalvingPlugin, hyperbandPlugin, thresholdPlugin, wandbHyperbandPlugin, nonePlugin] as const;

/** A sweep's pruner with its settings resolved: one member per registered plug-in. */
export type PrunerSpec = PrunerSpecOf<(typeof PRUNERS)[number]>;

/** The plug-in registered for `type`, or undefined. */
export function prunerPlugin(type: string): AnyPrunerPlugin | undefined {
  return (PRUNERS as readonly AnyPrunerPlugin[]).find((p) => p.type === type);
}

/** The plug-ins read from the `pruner:` block (those with an alias are read from their own block). */
export function prunerBlockPlugins(): readonly AnyPrunerPlugin[] {
  return (PRUNERS as readonly AnyPrunerPlugin[]).filter((p) => !p.alias);
}
