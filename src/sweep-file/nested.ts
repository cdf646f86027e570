/**
 * W&B's nested `parameters:` blocks: `optimizer: {parameters: {lr: {…}, momentum: {…}}}`. They are read as
 * parameters with dotted names (`optimizer.lr`), which is how they are stored, shown and named in `when:`; a
 * program receives them nested again (`params.optimizer.lr`), as `wandb.config` gives them.
 */
import type { ParamValue, Params } from '../core/params.js';
import { SpecIssue, typeName, type Segment } from './issues.js';

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The parameters block with nested blocks flattened to dotted names, and those names. */
export function flattenParameters(block: unknown): { parameters: unknown; nested: string[] } {
  if (!isMapping(block)) return { parameters: block, nested: [] };
  const flat: Record<string, unknown> = {};
  const nested: string[] = [];
  const visit = (entries: Record<string, unknown>, prefix: string, at: Segment[]): void => {
    for (const [name, entry] of Object.entries(entries)) {
      const full = prefix ? `${prefix}.${name}` : name;
      if (isMapping(entry) && 'parameters' in entry) {
        const extra = Object.keys(entry).filter((k) => k !== 'parameters');
        if (extra.length) throw new SpecIssue([...at, name, extra[0]!], 'not allowed here: a block with "parameters" holds nothing else');
        if (!isMapping(entry.parameters) || Object.keys(entry.parameters).length === 0) {
          throw new SpecIssue([...at, name, 'parameters'], `expected a mapping of at least one parameter, got ${typeName(entry.parameters)}`);
        }
        visit(entry.parameters, full, [...at, name, 'parameters']);
        continue;
      }
      if (full in flat) throw new SpecIssue([...at, name], `"${full}" is named twice: once nested, once with a dot in its name`);
      flat[full] = entry;
      if (prefix) nested.push(full);
    }
  };
  visit(block, '', ['parameters']);
  return { parameters: flat, nested };
}

/** A dotted parameter's place in the file: `parameters.optimizer.lr` is under `optimizer: {parameters: {lr}}`. */
export function fileSegments(segments: readonly Segment[], nested: ReadonlySet<string>): Segment[] {
  if (segments[0] !== 'parameters' || typeof segments[1] !== 'string' || !nested.has(segments[1])) return [...segments];
  const parts = segments[1].split('.');
  return ['parameters', ...parts.flatMap((p, i) => (i === 0 ? [p] : ['parameters', p])), ...segments.slice(2)];
}

/** The params a program receives: the nested parameters as nested objects. */
export function nestParams(params: Params, nested: readonly string[] | undefined): Record<string, unknown> {
  if (!nested || nested.length === 0) return params;
  const names = new Set(nested);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!names.has(name)) {
      out[name] = value;
      continue;
    }
    const parts = name.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) node = (isMapping(node[part]) ? node[part] : (node[part] = {})) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value as ParamValue;
  }
  return out;
}
