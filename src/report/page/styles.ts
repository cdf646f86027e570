/** The report's styles, inlined into the page. */
export const STYLES = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6675; --line: #dde2ea; --accent: #3b6fd6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f7f8fb; }
nav { padding: 8px 24px; background: #fff; border-bottom: 1px solid var(--line); color: var(--muted); }
nav a { color: var(--accent); }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 40px; }
header h1 { font-size: 22px; margin: 8px 0 12px; word-break: break-all; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 8px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; word-break: break-word; }
details pre { background: #fff; border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 320px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin: 16px 0; }
section h2 { font-size: 16px; margin: 0 0 6px; }
.note { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
.chart { width: 100%; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 8px; }
table.leaderboard { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; display: block; overflow: auto; max-height: 560px; }
table.leaderboard th, table.leaderboard td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
table.leaderboard th { cursor: pointer; user-select: none; background: #f0f3f8; position: sticky; top: 0; }
table.leaderboard th[aria-sort="ascending"]::after { content: " ▲"; }
table.leaderboard th[aria-sort="descending"]::after { content: " ▼"; }
ul.failures code { background: #fdf0f0; padding: 1px 4px; word-break: break-word; }
ul.sweeps { list-style: none; padding: 0; }
ul.sweeps li { padding: 6px 0; border-bottom: 1px solid var(--line); }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
`;
