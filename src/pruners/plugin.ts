/**
 * A pruner as a plug-in: everything about it in its own file (the keys of its `pruner:` block with their
 * schema, defaults and checks, a description, and how to build it), registered by one line in registry.ts.
 */
import { SettingIssue, type SettingSchema } from '../core/settings.js';
import type { PruneContext, Pruner } from './pruner.js';

export interface PrunerPlugin<T extends string = string, S extends object = object> {
  /** The `pruner: {type: …}` it answers to. */
  readonly type: T;
  /** One line for the docs and the registry's listing. */
  readonly description: string;
  /** A block (without `type`) it accepts, as a sweep file would give it: for the docs and its contract tests. */
  readonly example: Readonly<Record<string, unknown>>;
  /** Each key its block takes besides `type`, with the shape ajv checks. */
  readonly keys: Readonly<Record<string, SettingSchema>>;
  /**
   * Read from another top-level block of the sweep file instead of `pruner:` (W&B's `early_terminate:
   * {type: hyperband}`), with the keys above.
   */
  readonly alias?: { readonly block: 'early_terminate'; readonly type: string };
  /** Its settings with defaults filled in, from a block whose keys passed the schema; throws SettingIssue. */
  resolve(raw: Readonly<Record<string, unknown>>): S;
  /** The pruner, or null when it never stops a trial (`none`). */
  create(settings: S, context: PruneContext): Pruner | null;
}

/** Declares a plug-in with its types inferred (the registry derives the sweep file's pruner types from them). */
export function definePruner<T extends string, S extends object>(plugin: PrunerPlugin<T, S>): PrunerPlugin<T, S> {
  return plugin;
}

/**
 * A plug-in seen from the registry's users: its settings are whatever its own `resolve` returned, so they are
 * passed back to its `create` and `describe` unseen (an existential type, which TypeScript spells `any`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrunerPlugin = PrunerPlugin<string, any>;

/** The settings a plug-in resolves to, tagged with its type: one member of the sweep spec's `pruner`. */
export type PrunerSpecOf<P> = P extends PrunerPlugin<infer T, infer S> ? { type: T } & S : never;

/** A resource setting: an integer ≥ 1, or "auto" (estimated from the trials as Optuna does). */
export const AUTO_OR_COUNT: SettingSchema = { type: ['integer', 'string'] };

/** The value of an AUTO_OR_COUNT setting, or its default. */
export function autoOrCount(raw: Readonly<Record<string, unknown>>, key: string, fallback: number | 'auto'): number | 'auto' {
  const v = raw[key];
  if (v === undefined) return fallback;
  if (v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
  throw new SettingIssue(key, `expected an integer ≥ 1 or "auto", got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}
