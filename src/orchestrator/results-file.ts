/**
 * Known results read from a file for `tfsweep import`: JSON (`[{params, value | values, metrics?}]`) or CSV
 * (a header naming parameters and metrics; one row per result). Each row becomes a configuration and its
 * metrics, said with its place in the file when it cannot be read.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../errors.js';
import type { Distribution } from '../core/params.js';
import type { MetricSpec } from '../core/metric.js';
import type { KnownResult } from './enqueue.js';

/** A results file is a table of numbers: far below this. */
const MAX_RESULTS_BYTES = 64 * 1024 * 1024;

export interface ResultsFile {
  rows: KnownResult[];
  /** Where row i is in the file, for messages: "results.csv:4", "results.json[3]". */
  where: (i: number) => string;
}

export function readResultsFile(file: string, shownAs: string, parameters: Readonly<Record<string, Distribution>>, objectives: readonly MetricSpec[]): ResultsFile {
  let text: string;
  try {
    if (statSync(file).size > MAX_RESULTS_BYTES) throw new UsageError(`${shownAs}: larger than ${MAX_RESULTS_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${shownAs}: cannot be read (${(err as Error).message})`);
  }
  const isJson = /\.json$/i.test(file) || /^\s*[[{]/.test(text);
  return isJson ? fromJson(text, shownAs, objectives) : fromCsv(text, shownAs, parameters);
}

function fromJson(text: string, shownAs: string, objectives: readonly MetricSpec[]): ResultsFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${shownAs}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw new UsageError(`${shownAs}: expected a JSON array of {params, value | values, metrics}`);
  const where = (i: number) => `${shownAs}[${i}]`;
  const rows = doc.map((item, i): KnownResult => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new UsageError(`${where(i)}: expected an object {params, value | values, metrics}`);
    const { params, value, values, metrics, ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw new UsageError(`${where(i)}: unknown key "${extra[0]}" (allowed: params, value, values, metrics)`);
    if (!params || typeof params !== 'object' || Array.isArray(params)) throw new UsageError(`${where(i)}.params: expected an object of parameter values`);
    const out: Record<string, number> = {};
    if (metrics !== undefined) {
      if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) throw new UsageError(`${where(i)}.metrics: expected an object of numbers`);
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`${where(i)}.metrics.${k}: expected a finite number, got ${JSON.stringify(v)}`);
        out[k] = v;
      }
    }
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new UsageError(`${where(i)}.value: expected a finite number, got ${JSON.stringify(value)}`);
      out[objectives[0]!.name] = value;
    }
    if (values !== undefined) {
      if (!Array.isArray(values) || values.length !== objectives.length || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new UsageError(`${where(i)}.values: expected ${objectives.length} finite numbers, one per objective (${objectives.map((m) => m.name).join(', ')})`);
      }
      objectives.forEach((m, k) => (out[m.name] = values[k] as number));
    }
    return { params: params as Record<string, unknown>, metrics: out };
  });
  return { rows, where };
}

function fromCsv(text: string, shownAs: string, parameters: Readonly<Record<string, Distribution>>): ResultsFile {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    throw new UsageError(`${shownAs}: not CSV (${(err as Error).message})`);
  }
  const [header, ...body] = records;
  if (!header || !body.length) throw new UsageError(`${shownAs}: expected a header row and at least one result`);
  // The line of each row in the file (the header is line 1; empty lines are skipped, so count from the text).
  const lines = text.split(/\r?\n/).map((l, i) => [l, i + 1] as const).filter(([l]) => l.trim() !== '').map(([, n]) => n);
  const where = (i: number) => `${shownAs}:${lines[i + 1] ?? i + 2}`;
  const rows = body.map((cells, i): KnownResult => {
    const params: Record<string, unknown> = {};
    const metrics: Record<string, number> = {};
    header.forEach((name, k) => {
      const cell = cells[k]!.trim();
      if (cell === '') return; // an inactive parameter, or a metric not measured
      const dist = parameters[name];
      if (dist) {
        // A cell is text: a number where the distribution holds numbers (or a list of numbers).
        const numeric = dist.type !== 'categorical' && dist.type !== 'constant' ? true : (dist.type === 'categorical' ? dist.values : [dist.value]).some((v) => typeof v === 'number');
        const asNumber = Number(cell);
        const bool = cell === 'true' ? true : cell === 'false' ? false : undefined;
        params[name] = numeric && Number.isFinite(asNumber) ? asNumber : bool ?? cell;
        return;
      }
      const v = Number(cell);
      if (!Number.isFinite(v)) throw new UsageError(`${where(i)}: column "${name}" is not a parameter of the sweep, and "${cell}" is not a number (a metric's value)`);
      metrics[name] = v;
    });
    return { params, metrics };
  });
  return { rows, where };
}
