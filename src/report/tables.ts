/** Terminal tables (cli-table3) for the query commands. */
import Table from 'cli-table3';
import { formatDuration, formatNumber, formatValue } from './format.js';
import type { RankedTrial, SweepSummary, TrialView } from './leaderboard.js';

function render(head: string[], rows: string[][]): string {
  const table = new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  table.push(...rows);
  return table.toString();
}

function paramNames(rows: readonly TrialView[]): string[] {
  const names = new Set<string>();
  for (const r of rows) Object.keys(r.params).forEach((k) => names.add(k));
  return [...names];
}

export function trialsTable(rows: readonly TrialView[], metric: string): string {
  const params = paramNames(rows);
  return render(
    ['#', 'state', metric, ...params, 'epochs', 'time', 'error'],
    rows.map((r) => [
      String(r.number),
      r.state,
      formatNumber(r.value),
      ...params.map((p) => (r.params[p] === undefined ? '' : formatValue(r.params[p]!))),
      String(r.epochs.length),
      formatDuration(r.duration_s),
      (r.error ?? '').slice(0, 60),
    ]),
  );
}

export function leaderboardTable(rows: readonly RankedTrial[], metric: string): string {
  const params = paramNames(rows);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics ?? {})))].filter((m) => m !== metric).sort();
  return render(
    ['rank', '#', metric, ...params, ...metrics, 'time'],
    rows.map((r) => [
      String(r.rank),
      String(r.number),
      formatNumber(r.value),
      ...params.map((p) => (r.params[p] === undefined ? '' : formatValue(r.params[p]!))),
      ...metrics.map((m) => formatNumber(r.metrics?.[m])),
      formatDuration(r.duration_s),
    ]),
  );
}

export function sweepsTable(rows: readonly SweepSummary[]): string {
  return render(
    ['sweep', 'method', 'state', 'complete', 'failed', 'metric', 'best', 'updated'],
    rows.map((s) => [
      s.name,
      s.method,
      s.state,
      `${s.counts.complete}/${s.planned ?? '∞'}`,
      String(s.counts.failed),
      `${s.metric} (${s.goal === 'maximize' ? 'max' : 'min'})`,
      formatNumber(s.best),
      s.updated_at.replace('T', ' ').slice(0, 19),
    ]),
  );
}
