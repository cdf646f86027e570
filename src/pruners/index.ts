/** The sweep's pruner (its `pruner:` block, or W&B's `early_terminate:`) as a Pruner, through the registry. */
import type { PruneContext, Pruner } from './pruner.js';
import { PRUNERS, prunerPlugin, type PrunerSpec } from './registry.js';

export type { Curve, PruneContext, Pruner } from './pruner.js';
export { PRUNERS, prunerPlugin, type PrunerSpec } from './registry.js';

/** null for `none` (or no pruner): every trial runs to its end. */
export function createPruner(spec: PrunerSpec | null, context: PruneContext): Pruner | null {
  if (!spec) return null;
  const { type, ...settings } = spec;
  const plugin = prunerPlugin(type);
  // Only a stored spec written by another version can name a pruner this one does not know.
  if (!plugin) throw new Error(`unknown pruner type "${type}" (known: ${PRUNERS.map((p) => p.type).join(', ')})`);
  return plugin.create(settings, context);
}
