/**
 * The blocks plug-ins own: the method's settings block (`bayes:`), `pruner:` and W&B's `early_terminate:`.
 * Each plug-in declares its keys and resolves its own defaults and checks (samplers/, pruners/); this module
 * places what they say in the sweep file, and names the plug-in a misplaced key belongs to.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Distribution } from '../core/params.js';
import { SettingIssue, SpaceIssue, type SettingSchema } from '../core/settings.js';
import type { AnyPrunerPlugin } from '../pruners/plugin.js';
import { PRUNERS, prunerBlockPlugins, type PrunerSpec } from '../pruners/registry.js';
import { samplerPlugin, SAMPLERS } from '../samplers/registry.js';
import { SpecIssue, didYouMean, issueFromAjv } from './issues.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const checkers = new WeakMap<object, ValidateFunction>();

/** Checks `raw`'s keys against a plug-in's declared `keys` (besides `type`), placing problems under `block`. */
function checkKeys(block: string, raw: Readonly<Record<string, unknown>>, keys: Readonly<Record<string, SettingSchema>>): void {
  let check = checkers.get(keys);
  if (!check) checkers.set(keys, (check = ajv.compile({ type: 'object', additionalProperties: false, properties: { type: {}, ...keys } })));
  if (check(raw)) return;
  const errors = check.errors!;
  const issue = issueFromAjv(errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0]!, raw, () => ['type', ...Object.keys(keys)]);
  throw new SpecIssue([block, ...issue.segments], issue.message);
}

/** Runs a plug-in's own resolution, placing its SettingIssue under `block`. */
function placed<T>(block: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (err) {
    if (err instanceof SettingIssue) throw new SpecIssue(err.key === null ? [block] : [block, err.key], err.message);
    throw err;
  }
}

/**
 * The settings blocks of the spec: the chosen method's settings (defaults filled in) under its name, null for
 * every other method that takes settings. A block given for another method is refused.
 */
export function samplerBlocks(method: string, doc: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const blocks: Record<string, unknown> = {};
  for (const plugin of SAMPLERS) {
    if (plugin.keys === null) continue;
    const raw = doc[plugin.method] as Record<string, unknown> | undefined;
    if (plugin.method !== method) {
      if (raw !== undefined) throw new SpecIssue([plugin.method], `applies to method "${plugin.method}" only, not "${method}"`);
      blocks[plugin.method] = null;
      continue;
    }
    blocks[method] = placed(method, () => plugin.resolve(raw));
  }
  return blocks;
}

/** The method's own demands on the space and on run_cap. */
export function checkSpace(method: string, parameters: Readonly<Record<string, Distribution>>, runCap: number | undefined): void {
  const plugin = samplerPlugin(method)!;
  try {
    plugin.checkSpace?.(parameters, runCap);
  } catch (err) {
    if (err instanceof SpaceIssue) {
      throw new SpecIssue(['parameters', ...(err.parameter === null ? [] : [err.parameter]), ...(err.key === null ? [] : [err.key])], err.message);
    }
    throw err;
  }
  if (plugin.needsRunCap && runCap === undefined) throw new SpecIssue(['run_cap'], `is required for method "${method}" (the number of completed trials to run)`);
}

/** A key of `raw` that `plugin` does not take: named as another plug-in's setting where it is one. */
function checkOwnKeys(block: string, plugin: AnyPrunerPlugin, raw: Readonly<Record<string, unknown>>, peers: readonly AnyPrunerPlugin[]): void {
  const allowed = Object.keys(plugin.keys);
  for (const key of Object.keys(raw)) {
    if (key === 'type' || allowed.includes(key)) continue;
    const owners = peers.filter((p) => key in p.keys).map((p) => p.type);
    if (owners.length) {
      throw new SpecIssue([block, key], `does not apply to the ${plugin.type} pruner (it is a setting of ${owners.join(', ')}); ${plugin.type} takes ${allowed.length ? allowed.join(', ') : 'no settings'}`);
    }
    throw new SpecIssue([block, key], `unknown key "${key}"${didYouMean(key, allowed)} (allowed: ${['type', ...allowed].join(', ')})`);
  }
  checkKeys(block, raw, plugin.keys);
}

/**
 * `pruner:` with its plug-in's defaults filled in, or a block read by an aliased plug-in (W&B's
 * `early_terminate:`), never both. The blocks' `type` was checked against the registry by the schema.
 */
export function toPruner(raw: Record<string, unknown> | undefined, wandb: Record<string, unknown> | undefined): PrunerSpec | null {
  if (raw && wandb) throw new SpecIssue(['early_terminate'], 'give "pruner" or W&B\'s "early_terminate", not both: they decide the same thing');
  const block = wandb ? 'early_terminate' : 'pruner';
  const given = wandb ?? raw;
  if (!given) return null;
  const candidates: readonly AnyPrunerPlugin[] = wandb ? PRUNERS.filter((p) => p.alias?.block === 'early_terminate') : prunerBlockPlugins();
  const plugin = candidates.find((p) => (wandb ? p.alias!.type : p.type) === given.type)!;
  checkOwnKeys(block, plugin, given, candidates);
  const { type: _type, ...settings } = given;
  return { type: plugin.type, ...placed(block, () => plugin.resolve(settings)) } as PrunerSpec;
}
