/**
 * The leaderboard as CSV, JSON or Markdown: rank, trial number, value, one column per parameter, the final
 * metrics, duration. Columns are the same in every format.
 */
import { stringify } from 'csv-stringify/sync';
import { markdownTable } from 'markdown-table';
import type { SweepRecord } from '../core/records.js';
import { formatNumber, formatValue } from './format.js';
import type { RankedTrial } from './leaderboard.js';
import { csvText, markdownText } from '../core/text.js';

type Cell = number | string | boolean | null | undefined;

export type ExportFormat = 'csv' | 'json' | 'md';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'json', 'md'];

interface Columns {
  params: string[];
  metrics: string[];
}

function columnsOf(rows: readonly RankedTrial[]): Columns {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const row of rows) {
    Object.keys(row.params).forEach((k) => params.add(k));
    Object.keys(row.metrics ?? {}).forEach((k) => metrics.add(k));
  }
  return { params: [...params], metrics: [...metrics].sort() };
}

/**
 * Column names are unique: a parameter or metric named like a fixed column (a program's metric `value`,
 * a parameter `rank`) is prefixed `param:` or `metric:`, which pandas and spreadsheets read as distinct.
 */
function uniqueHeader(fixed: string[], params: string[], metrics: string[], tail: string[]): string[] {
  const taken = new Set([...fixed, ...tail]);
  const claim = (name: string, prefix: string): string => {
    let out = taken.has(name) ? `${prefix}:${name}` : name;
    for (let i = 2; taken.has(out); i++) out = `${prefix}:${name}_${i}`;
    taken.add(out);
    return out;
  };
  return [...fixed, ...params.map((p) => claim(p, 'param')), ...metrics.map((m) => claim(m, 'metric')), ...tail];
}

function table(rows: readonly RankedTrial[], cols: Columns, cell: (v: Cell) => string, head: (name: string) => string): string[][] {
  const repeated = rows.some((r) => r.value_std !== undefined);
  const tested = rows.some((r) => r.test_metrics);
  // Several objectives: `pareto` says whether the trial is on the front; each objective is among the metrics.
  const multi = rows.some((r) => r.pareto !== undefined);
  const fixed = ['rank', 'number', ...(multi ? ['pareto'] : []), 'value', ...(repeated ? ['value_std', 'ci95_low', 'ci95_high'] : []), ...(tested ? ['test_accuracy', 'test_loss'] : [])];
  const noted = rows.some((r) => r.note);
  const header = uniqueHeader(fixed, cols.params, cols.metrics, ['duration_s', ...(noted ? ['note'] : [])]).map(head);
  const body = rows.map((r) => [
    String(r.rank),
    String(r.number),
    ...(multi ? [cell(r.pareto)] : []),
    cell(r.value),
    ...(repeated ? [cell(r.value_std), cell(r.value_ci95?.[0]), cell(r.value_ci95?.[1])] : []),
    ...(tested ? [cell(r.test_metrics?.test_accuracy), cell(r.test_metrics?.test_loss)] : []),
    ...cols.params.map((p) => cell(r.params[p])),
    ...cols.metrics.map((m) => cell(r.metrics?.[m])),
    cell(r.duration_s),
    ...(noted ? [cell(r.note ?? '')] : []),
  ]);
  return [header, ...body];
}

export function exportLeaderboard(sweep: SweepRecord, rows: readonly RankedTrial[], format: ExportFormat): string {
  const cols = columnsOf(rows);
  switch (format) {
    case 'json':
      return `${JSON.stringify(
        {
          sweep: sweep.name,
          ...(sweep.note ? { note: sweep.note } : {}),
          metric: sweep.metric,
          ...(sweep.spec.metrics ? { metrics: sweep.spec.metrics } : {}),
          ...(sweep.spec.constraints ? { constraints: sweep.spec.constraints } : {}),
          trials: rows.map((r) => ({
            rank: r.rank,
            number: r.number,
            ...(r.pareto !== undefined ? { pareto: r.pareto, values: r.values } : {}),
            value: r.value,
            params: r.params,
            metrics: r.metrics,
            ...(r.value_std !== undefined ? { value_std: r.value_std, value_ci95: r.value_ci95 } : {}),
            ...(r.test_metrics ? { test_metrics: r.test_metrics } : {}),
            ...(r.origin ? { origin: r.origin } : {}),
            ...(r.attempt ? { attempt: r.attempt } : {}),
            ...(r.note ? { note: r.note } : {}),
            duration_s: r.duration_s,
          })),
        },
        null,
        2,
      )}\n`;
    case 'csv':
      // Full precision in CSV: it is for machines. Text cells cannot start a spreadsheet formula.
      return stringify(table(rows, cols, (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? csvText(v) : String(v)), csvText));
    case 'md': {
      const body = markdownTable(
        table(rows, cols, (v) => (v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : markdownText(formatValue(v))), markdownText),
      );
      const objectives = (sweep.spec.metrics ?? [sweep.metric]).map((m) => `${markdownText(m.name)} (${m.goal})`).join(', ');
      return `## ${markdownText(sweep.name)}: ${objectives}\n\n${body}\n`;
    }
  }
}
