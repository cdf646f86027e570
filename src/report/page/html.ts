/**
 * The report's HTML: one self-contained page (data as JSON, ECharts and the page's code and styles inlined,
 * nothing fetched), used as a file by `tfsweep report` and served by `tfsweep dashboard`, which adds polling.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from '../report-data.js';
import { renderApp } from './app.js';
import { STYLES } from './styles.js';

let echartsSource: string | undefined;
/** ECharts' minified bundle from the installed package (about 1 MB), read once. */
export function echartsBundle(): string {
  echartsSource ??= readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf8');
  return echartsSource;
}

/**
 * JSON safe inside a <script> element: `<` (so neither `</script>` nor `<!--` can appear), and the two line
 * separators JavaScript once treated as line ends, are written as escapes.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Text for HTML content and attribute values: & < > " ' escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface PageOptions {
  /** Dashboard: where to fetch fresh data every `pollMs`, and the link back to the list of sweeps. */
  live?: { url: string; pollMs: number; home: string };
}

export function reportHtml(data: ReportData, options: PageOptions = {}): string {
  // A script element cannot hold "</script" unescaped; the bundle and the page's own code never contain it.
  const code = `(${renderApp.toString()})`;
  const boot = options.live
    ? `const live = ${scriptJson(options.live)};
const render = ${code};
const root = document.getElementById('report');
// Redrawn only when the data changed (its generation time aside): a redraw resets sorting and brushing.
const key = (text) => text.replace(/"generated_at":"[^"]*"/, '');
let last = '';
async function refresh() {
  try {
    const r = await fetch(live.url, { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const text = await r.text();
    if (key(text) !== last) {
      last = key(text);
      (window.tfsweepCharts || []).forEach((c) => c.dispose());
      render(JSON.parse(text), echarts, root);
    }
    document.getElementById('live-status').textContent = 'live: updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('live-status').textContent = 'live: cannot reach the dashboard (' + e.message + '); retrying';
  }
}
render(JSON.parse(document.getElementById('tfsweep-data').textContent), echarts, root);
last = key(JSON.stringify(JSON.parse(document.getElementById('tfsweep-data').textContent)));
setInterval(refresh, live.pollMs);`
    : `(${code})(JSON.parse(document.getElementById('tfsweep-data').textContent), echarts, document.getElementById('report'));`;
  const nav = options.live ? `<nav><a href="${escapeHtml(options.live.home)}">all sweeps</a> · <span id="live-status">live</span></nav>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tfsweep: ${escapeHtml(data.sweep.name)}</title>
<style>${STYLES}</style>
</head>
<body>
${nav}
<main id="report"></main>
<script id="tfsweep-data" type="application/json">${scriptJson(data)}</script>
<script>${echartsBundle()}</script>
<script>${boot}</script>
</body>
</html>
`;
}
