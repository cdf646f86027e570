/**
 * A sampler as a plug-in: everything about a search method in its own file (its settings block, named after
 * the method as `bayes:` is, with schema, defaults and checks; what it needs of the space; how to build it),
 * registered by one line in registry.ts.
 */
import type { Goal, Objectives } from '../core/metric.js';
import type { Conditions, Distribution } from '../core/params.js';
import type { SettingSchema } from '../core/settings.js';
import type { Sampler } from './sampler.js';

export interface SamplerInput<S> {
  parameters: Record<string, Distribution>;
  /** The parameters' `when:` conditions (the planner drops inactive parameters; a grid counts distinct configurations). */
  conditions?: Conditions;
  /** The (first) objective's goal. */
  goal: Goal;
  /** Every objective and the constraints, where the sweep has more than one objective or any constraint. */
  objectives?: Objectives;
  seed: number;
  settings: S;
}

export interface SamplerPlugin<M extends string = string, S = unknown> {
  /** The sweep file's `method:` it answers to. */
  readonly method: M;
  /** One line for `tfsweep validate` and the docs. */
  readonly description: string;
  /** A settings block it accepts (null when it takes none): for the docs and its contract tests. */
  readonly example: Readonly<Record<string, unknown>> | null;
  /** The keys of its settings block (the top-level key named after the method), or null when it takes none. */
  readonly keys: Readonly<Record<string, SettingSchema>> | null;
  /** Whether a sweep with it must set run_cap (an unbounded space never finishes on its own). */
  readonly needsRunCap: boolean;
  /** Whether each claim hands it the whole history (a model-based sampler learns from it; others need only the index). */
  readonly needsHistory: boolean;
  /** Its settings with defaults filled in, from its block (undefined when absent); throws SettingIssue. */
  resolve(raw: Readonly<Record<string, unknown>> | undefined): S;
  /** Refuses a space it cannot search (throws SpaceIssue); run_cap as the file gives it. */
  checkSpace?(parameters: Readonly<Record<string, Distribution>>, runCap: number | undefined): void;
  create(input: SamplerInput<S>): Sampler;
  /** How its settings read in one line (`tfsweep validate`) for this space when given, or null when there is nothing to say. */
  describe(settings: S, space?: Pick<SamplerInput<S>, 'parameters' | 'conditions' | 'objectives'>): string | null;
}

/** Declares a plug-in with its types inferred (the registry derives the sweep spec's settings blocks from them). */
export function defineSampler<M extends string, S>(plugin: SamplerPlugin<M, S>): SamplerPlugin<M, S> {
  return plugin;
}

/** A plug-in seen from the registry's users: its settings pass back to its own methods unseen. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySamplerPlugin = SamplerPlugin<string, any>;

/** The settings block a plug-in with keys adds to the sweep spec: `{bayes?: TpeSettings | null}`. */
export type SamplerBlockOf<P> = P extends SamplerPlugin<infer M, infer S> ? (S extends null ? never : { [K in M]?: S | null }) : never;
