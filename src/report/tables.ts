/** Terminal tables (cli-table3) for the query commands. */
import Table from 'cli-table3';
import { formatDuration, formatNumber, showValue } from './format.js';
import { printable } from '../core/text.js';
import type { RankedTrial, SweepSummary, TrialView } from './leaderboard.js';

export function render(head: string[], rows: string[][]): string {
  const table = new Table({
    head: head.map(printable),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  // Every cell is shown as text: a stored string with terminal escapes must not reach the terminal raw.
  table.push(...rows.map((row) => row.map(printable)));
  return table.toString();
}

function paramNames(rows: readonly TrialView[]): string[] {
  const names = new Set<string>();
  for (const r of rows) Object.keys(r.params).forEach((k) => names.add(k));
  return [...names];
}

/** Every trial in order; `others`: the sweep's further objectives, a column each after the first. */
export function trialsTable(rows: readonly TrialView[], metric: string, others: readonly string[] = []): string {
  const params = paramNames(rows);
  const extra = extraColumns(rows);
  return render(
    ['#', 'state', metric, ...others, ...extra.head, ...params, 'epochs', 'time', 'error', ...(rows.some((r) => r.note) ? ['note'] : [])],
    rows.map((r) => [
      String(r.number),
      r.state,
      formatNumber(r.value),
      ...others.map((m) => formatNumber(r.state === 'complete' ? r.metrics?.[m] : undefined)),
      ...extra.cells(r),
      ...params.map((p) => (r.params[p] === undefined ? '' : showValue(r.params[p]!))),
      String(r.epochs.length),
      formatDuration(r.duration_s),
      (r.error ?? '').slice(0, 60),
      ...(rows.some((u) => u.note) ? [(r.note ?? '').slice(0, 60)] : []),
    ]),
  );
}

/** "± std" and "95% CI" cells when trials repeat, test metrics when a trial was evaluated on the test split. */
function extraColumns(rows: readonly TrialView[]): { head: string[]; cells: (r: TrialView) => string[] } {
  const repeated = rows.some((r) => r.value_std !== undefined);
  const tested = rows.some((r) => r.test_metrics);
  return {
    head: [...(repeated ? ['± std', '95% CI'] : []), ...(tested ? ['test_accuracy', 'test_loss'] : [])],
    cells: (r) => [
      ...(repeated ? [formatNumber(r.value_std), r.value_ci95 ? `[${formatNumber(r.value_ci95[0])}, ${formatNumber(r.value_ci95[1])}]` : ''] : []),
      ...(tested ? [formatNumber(r.test_metrics?.test_accuracy), formatNumber(r.test_metrics?.test_loss)] : []),
    ],
  };
}

/**
 * The ranked trials. With several objectives, a column per objective after a "pareto" mark (✓ on the
 * front); otherwise the metric's value first.
 */
export function leaderboardTable(rows: readonly RankedTrial[], metric: string, quiet: readonly string[] = []): string {
  const params = paramNames(rows);
  const objectives = rows.find((r) => r.values)?.values ? Object.keys(rows.find((r) => r.values)!.values!) : [metric];
  const multi = rows.some((r) => r.values);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics ?? {})))].filter((m) => !objectives.includes(m) && !quiet.includes(m)).sort();
  const extra = extraColumns(rows);
  return render(
    ['rank', '#', ...(multi ? ['pareto'] : []), ...objectives, ...extra.head, ...params, ...metrics, 'time', ...(rows.some((r) => r.note) ? ['note'] : [])],
    rows.map((r) => [
      String(r.rank),
      String(r.number),
      ...(multi ? [r.pareto ? '✓' : ''] : []),
      ...(multi ? objectives.map((m) => formatNumber(r.values?.[m])) : [formatNumber(r.value)]),
      ...extra.cells(r),
      ...params.map((p) => (r.params[p] === undefined ? '' : showValue(r.params[p]!))),
      ...metrics.map((m) => formatNumber(r.metrics?.[m])),
      formatDuration(r.duration_s),
      ...(rows.some((u) => u.note) ? [(r.note ?? '').slice(0, 60)] : []),
    ]),
  );
}

export function sweepsTable(rows: readonly SweepSummary[]): string {
  return render(
    ['sweep', 'method', 'state', 'finished', 'pruned', 'failed', 'metric', 'best', 'updated'],
    rows.map((s) => [
      s.name,
      s.method,
      s.state,
      // run_cap counts finished trials: complete and pruned.
      `${s.counts.complete + s.counts.pruned}/${s.planned ?? '∞'}`,
      String(s.counts.pruned),
      String(s.counts.failed),
      s.metric.split(', ').map((m, i) => `${m} (${s.goal.split(', ')[i] === 'maximize' ? 'max' : 'min'})`).join(', '),
      s.pareto_size !== undefined ? `front of ${s.pareto_size}` : formatNumber(s.best),
      s.updated_at.replace('T', ' ').slice(0, 19),
    ]),
  );
}
