/**
 * Every search method tfsweep knows, one line each. A new sampler is one new file (its plug-in: method name,
 * settings block, space checks, constructor; see plugin.ts) and one line here: the sweep file's schema,
 * validation, `tfsweep validate`, the spec's types and the orchestrator all read this list.
 */
import { gridPlugin } from './grid.js';
import type { AnySamplerPlugin, SamplerBlockOf } from './plugin.js';
import { randomPlugin } from './random.js';
import { bayesPlugin } from './bayes.js';

export const SAMPLERS = [gridPlugin, randomPlugin, bayesPlugin] as const;

/** The `method:` values. */
export type Method = (typeof SAMPLERS)[number]['method'];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The settings blocks of the sweep spec: one optional key per method that takes settings (`bayes`). */
export type SamplerBlocks = UnionToIntersection<SamplerBlockOf<(typeof SAMPLERS)[number]>>;

/** The plug-in registered for `method`, or undefined. */
export function samplerPlugin(method: string): AnySamplerPlugin | undefined {
  return (SAMPLERS as readonly AnySamplerPlugin[]).find((p) => p.method === method);
}
