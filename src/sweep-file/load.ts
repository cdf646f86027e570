/**
 * Reads a sweep file (YAML, or JSON, which YAML 1.2 also reads) and validates it. Every problem becomes one
 * SpecError naming the file, the line where the YAML parser or the field's node puts it, and the field path.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import { SpecError } from '../errors.js';
import { clip, printable } from '../core/text.js';
import type { LoadedSpec } from './types.js';
import { SpecIssue, formatPath, validateSpec, type Segment } from './validate.js';
import { fileSegments, flattenParameters } from './nested.js';

/** The 1-based line of the node at `segments` (or of its key, or of its nearest existing ancestor). */
function lineOf(doc: Document, counter: LineCounter, segments: readonly Segment[]): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined = (node as Node | null)?.range ? counter.linePos((node as Node).range![0]).line : undefined;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (keyNode.range) line = counter.linePos(keyNode.range[0]).line;
      node = pair.value;
    } else if (node && typeof seg === 'number' && 'items' in (node as object)) {
      node = (node as { items: unknown[] }).items[seg];
      if ((node as Node | undefined)?.range) line = counter.linePos((node as Node).range![0]).line;
    } else {
      break;
    }
  }
  return line;
}

/** The dotted names nested blocks give, or none when the block is malformed (validation says how). */
function nestedNames(plain: unknown): string[] {
  try {
    return flattenParameters((plain as Record<string, unknown> | null)?.['parameters']).nested;
  } catch {
    return [];
  }
}

/** A `program:` path, relative to the sweep file's folder; it must exist and be a file. */
function resolveProgram(program: string, baseDir: string): string {
  const full = path.resolve(baseDir, program);
  if (!existsSync(full)) throw new Error(`no such file: ${full}`);
  if (!statSync(full).isFile()) throw new Error(`not a file: ${full}`);
  return full;
}

/**
 * Parses sweep-file text. `file` names it in errors; `baseDir` is where a relative `program:` is looked up
 * (the file's folder).
 */
export function parseSpecText(source: string, file: string, baseDir: string = path.dirname(path.resolve(file))): LoadedSpec {
  checkText(source, file);
  const counter = new LineCounter();
  const doc = parseDocument(source, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line;
    const message =
      syntax.code === 'MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document (a line "---" starts another); a sweep file is one document'
        : clip(printable(syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')), 160);
    throw new SpecError(`invalid ${file.endsWith('.json') ? 'JSON/YAML' : 'YAML'}: ${message}`, file, undefined, line);
  }
  const warnings: string[] = [];
  const defaultName = path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  try {
    const plain = toPlain(doc, file);
    // Dotted names from nested blocks, to find their place in the file.
    const nested = new Set(nestedNames(plain));
    const writtenAsFloat = (segments: Segment[]): boolean => {
      const node = doc.getIn(fileSegments(segments, nested), true);
      return isScalar(node) && typeof node.value === 'number' && /[.eE]/.test(node.source ?? '');
    };
    const resolvePath = (relative: string): string => {
      const full = path.resolve(baseDir, relative);
      if (!existsSync(full)) throw new Error(`no such file or folder: ${full}`);
      return full;
    };
    const context = { defaultName, resolveProgram: (program: string) => resolveProgram(program, baseDir), resolvePath, writtenAsFloat };
    const spec = validateSpec(plain, context, warnings);
    return { file, source, spec, warnings };
  } catch (err) {
    if (err instanceof SpecIssue) {
      const nested = new Set(nestedNames(toPlain(doc, file)));
      throw new SpecError(err.message, file, formatPath(err.segments), lineOf(doc, counter, fileSegments(err.segments, nested)), { cause: err });
    }
    throw err;
  }
}

/** Aliases one file may expand (YAML's guard against "billion laughs"); ordinary DRY files use far fewer. */
const MAX_ALIAS_COUNT = 1000;
/** A sweep file is a page of settings; a larger file is a mistake (or an attack on memory). */
export const MAX_SPEC_BYTES = 4 * 1024 * 1024;

function toPlain(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package reports alias expansion beyond the limit as a ReferenceError.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new SpecError(`too many YAML aliases: expanding them exceeds the limit of ${MAX_ALIAS_COUNT} (a "billion laughs" file?)`, file);
    }
    throw new SpecError(`cannot read the YAML: ${clip(printable((err as Error).message), 160)}`, file);
  }
}

/** Binary content would be echoed back in messages as kilobytes of escapes: refuse it as what it is. */
function checkText(source: string, file: string): void {
  const bad = source.search(/[\u0000\ufffd]/);
  if (bad >= 0) {
    const line = source.slice(0, bad).split('\n').length;
    throw new SpecError(`not a text file: character ${bad + 1} is ${source[bad] === '\u0000' ? 'a NUL byte' : 'not valid UTF-8'}; a sweep file is YAML or JSON text`, file, undefined, line);
  }
}

/**
 * The file's text, at most MAX_SPEC_BYTES. Read in chunks rather than by its size, so a FIFO or
 * `/dev/stdin` works and `/dev/zero` is refused rather than read until memory runs out.
 */
function readBounded(file: string, shownAs: string): string {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > MAX_SPEC_BYTES) throw new SpecError(`the file is larger than ${MAX_SPEC_BYTES} bytes; a sweep file is a page of settings`, shownAs);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a sweep file; errors name it as `shownAs` (the path the user typed). */
export function loadSpecFile(file: string, shownAs: string = file): LoadedSpec {
  let source: string;
  if (shownAs.trim() === '') throw new SpecError('expected the path of a sweep file, got an empty string', "''");
  try {
    if (statSync(file).isDirectory()) throw new SpecError('is a folder, not a sweep file', shownAs);
    source = readBounded(file, shownAs);
  } catch (err) {
    if (err instanceof SpecError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError(code === 'ENOENT' ? 'no such file' : `cannot read the file (${code ?? String(err)})`, shownAs, undefined, undefined, {
      cause: err,
    });
  }
  return parseSpecText(source, shownAs, path.dirname(path.resolve(file)));
}
