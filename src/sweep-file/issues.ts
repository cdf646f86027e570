/**
 * Problems at a place in a sweep file: the SpecIssue type (field path as segments; load.ts adds the file and
 * line), and how schema errors, values and near-misses are said in its messages.
 */
import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { clip } from '../core/text.js';

export type Segment = string | number;

/** A problem at a place in the document; converted to a SpecError by load.ts. */
export class SpecIssue extends Error {
  constructor(
    readonly segments: Segment[],
    message: string,
  ) {
    super(message);
  }
}

export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const seg of segments) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}


export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${clip(JSON.stringify(value), 60)}`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN (not a number)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value < 0 ? 'minus ' : ''}infinity`;
  return `${typeof value} ${String(value)}`;
}

export function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let node: unknown = root;
  for (const seg of segments) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  // An abbreviation (val_acc for val_accuracy) is a better clue than edit distance.
  const extension = candidates.find((c) => word.length >= 3 && c.startsWith(word));
  if (extension) return `; did you mean "${extension}"?`;
  const guess = closest(word, candidates as string[]);
  return distance(word, guess) <= Math.max(2, Math.floor(guess.length / 3)) ? `; did you mean "${guess}"?` : '';
}

export function issueFromAjv(error: ErrorObject, raw: unknown, keysAllowedAt: (segments: readonly Segment[]) => readonly string[]): SpecIssue {
  const segments: Segment[] = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Array indices: ajv gives them as strings; make them numbers where the parent is a list.
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (typeof seg === 'string' && /^\d+$/.test(seg) && Array.isArray(valueAt(raw, segments.slice(0, i)))) segments[i] = Number(seg);
  }
  const actual = valueAt(raw, segments);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = keysAllowedAt(segments);
      return new SpecIssue([...segments, key], `unknown key "${key}"${didYouMean(key, allowed)} (allowed: ${allowed.join(', ')})`);
    }
    case 'required':
      return new SpecIssue([...segments, String(p.missingProperty)], 'is required');
    case 'type': {
      const wanted = String(p.type)
        .split(',')
        .map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'number' ? 'a finite number' : `a ${t}`))
        .join(' or ');
      return new SpecIssue(segments, `expected ${wanted}, got ${typeName(actual)}`);
    }
    case 'enum': {
      const options = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof actual === 'string' ? didYouMean(actual, (p.allowedValues as unknown[]).map(String)) : '';
      return new SpecIssue(segments, `expected one of ${options.join(', ')}, got ${typeName(actual)}${hint}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      return new SpecIssue(segments, `expected a value ${op} ${String(p.limit)}, got ${String(actual)}`);
    }
    case 'minItems':
      return new SpecIssue(segments, `expected at least ${String(p.limit)} value, got an empty list`);
    case 'maxItems':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} values, got ${(actual as unknown[]).length}`);
    case 'maxProperties':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} entries, got ${Object.keys(actual as object).length}`);
    case 'minLength':
      return new SpecIssue(segments, 'must not be empty');
    case 'maxLength':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} characters, got ${(actual as string).length}`);
    case 'pattern':
      return new SpecIssue(segments, `expected letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${typeName(actual)}`);
    default:
      return new SpecIssue(segments, error.message ?? 'is not valid');
  }
}
