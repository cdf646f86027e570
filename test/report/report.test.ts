/**
 * The HTML report and the dashboard, opened in a real headless Chromium: no console errors, nothing fetched
 * from a network, every chart drawn, the leaderboard sorting on a header click, hostile names and values shown
 * as text, and the dashboard showing a trial that completes after the page was opened.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { BIN, cli, tempDir, writeFile } from '../helpers.js';
import { CHROMIUM_SKIP, chartsDrawn, launch, watchedPage } from '../browser.js';
import { isLive } from '../../src/core/ownership.js';
import { startDashboard } from '../../src/report/dashboard.js';
import { openStorage } from '../../src/storage/open.js';

const HOSTILE = '<img src=x onerror="window.__xss=1;alert(1)">';

/** A bayes sweep over a hostile categorical and two numbers, with repeats of nothing but one failing trial. */
async function hostileSweep(dir: string): Promise<void> {
  writeFile(dir, 'obj.mjs', `export default async (p, trial) => {
    if (trial.number === 3 || trial.number === 5) throw new Error('bad x <script>window.__xss=2</script>');
    for (let s = 0; s < 3; s++) trial.report(s, { value: p.x * (s + 1) / 3, loss: 1 - p.x });
    return { value: p.x + (p.kind === 'a' ? 0.1 : 0), loss: 1 - p.x };
  };\n`);
  writeFile(dir, 's.yaml', `name: hostile\nmethod: bayes\nseed: 4\nrun_cap: 16\nworkers: 2\nprogram: ./obj.mjs\nmetric: {name: value, goal: maximize}\nbayes: {n_startup_trials: 6}\npruner: {type: median, n_startup_trials: 4}\nparameters:\n  x: {min: 0.0, max: 1.0}\n  y: {distribution: log_uniform_values, min: 0.001, max: 1.0}\n  kind: {values: [a, '${HOSTILE.replace(/'/g, "''")}']}\n`);
  const r = await cli(['run', 's.yaml', '--db', 'r.db'], dir);
  assert.equal(r.code, 0, r.stderr);
  // A shared or edited database may name a sweep anything: the name rule only guards new sweeps.
  const db = new Database(path.join(dir, 'r.db'));
  db.prepare('UPDATE sweeps SET name = ? WHERE name = ?').run(HOSTILE, 'hostile');
  db.close();
}

describe('the HTML report and the dashboard in Chromium', { skip: CHROMIUM_SKIP }, () => {
  let browser: Browser;
  const dir = tempDir();
  before(async () => {
    browser = await launch();
    await hostileSweep(dir);
  });
  after(async () => browser?.close());

  it('writes one self-contained file that draws every view offline, sorts, and shows hostile text as text', async () => {
    const r = await cli(['report', HOSTILE, '--db', 'r.db', '--out', 'report.html'], dir);
    assert.equal(r.code, 0, r.stderr);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    assert.ok(!/<script[^>]*\ssrc\s*=|<link\b/i.test(html), 'no script or stylesheet to fetch');
    assert.ok(!html.includes(HOSTILE), 'the hostile name never appears unescaped in the file');
    const { page, errors, dialogs, external } = await watchedPage(browser);
    await page.goto(`file://${path.join(dir, 'report.html')}`);
    await page.waitForFunction(() => (window as unknown as { tfsweepCharts?: unknown[] }).tfsweepCharts?.length);
    await delay(300);
    assert.deepEqual(errors, []);
    assert.deepEqual(external, []);
    assert.deepEqual(dialogs, []);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null), null);
    assert.equal(await page.locator('h1').textContent(), `Sweep ${HOSTILE}`);
    assert.equal(await page.locator('main img, main script').count(), 0);
    assert.match((await page.locator('#failures').textContent())!, /bad x <script>window\.__xss=2<\/script>/);
    const drawn = await chartsDrawn(page);
    for (const id of ['history-number', 'history-time', 'curves-chart', 'parallel-chart', 'slice-0', 'slice-1', 'slice-2', 'importance-chart', 'heatmap-chart', 'timeline-chart']) {
      assert.equal(drawn[id], true, `${id} has drawn content (${JSON.stringify(drawn)})`);
    }
    // Sorting: by trial number ascending, then descending.
    const numbers = async (): Promise<number[]> => (await page.locator('table.leaderboard tbody tr td:nth-child(2)').allTextContents()).map(Number);
    const byRank = await numbers();
    await page.locator('table.leaderboard th', { hasText: /^#$/ }).click();
    const ascending = await numbers();
    assert.deepEqual(ascending, [...byRank].sort((a, b) => a - b));
    await page.locator('table.leaderboard th', { hasText: /^#$/ }).click();
    assert.deepEqual(await numbers(), [...ascending].reverse());
    assert.equal(await page.locator('table.leaderboard th', { hasText: /^#$/ }).getAttribute('aria-sort'), 'descending');
    await page.close();
  });

  it('the dashboard lists the sweeps, escapes them, and shows a trial that completes after the page was opened', async () => {
    // A sweep that is still running, one slow trial at a time, in another process.
    writeFile(dir, 'slow.mjs', 'export default async (p, trial) => { trial.report(0, { value: p.x }); await new Promise((r) => setTimeout(r, 700)); return p.x; };\n');
    writeFile(dir, 'slow.yaml', 'name: slow\nmethod: random\nseed: 2\nrun_cap: 8\nworkers: 1\nprogram: ./slow.mjs\nmetric: {name: value, goal: maximize}\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    const child = spawn(process.execPath, [BIN, 'run', 'slow.yaml', '--db', 'r.db'], { cwd: dir, stdio: 'ignore', env: { ...process.env, TFSWEEP_DB: '' } });
    const storage = await openStorage(path.join(dir, 'r.db'), { readonly: true });
    const dashboard = await startDashboard({ storage, isLive, host: '127.0.0.1', port: 0, pollMs: 300 });
    try {
      const { page, errors, dialogs, external } = await watchedPage(browser);
      await page.goto(dashboard.url);
      assert.equal(await page.locator('ul.sweeps a', { hasText: HOSTILE }).count(), 1, 'the hostile name is a link text');
      assert.equal(await page.locator('ul.sweeps img').count(), 0);
      // Wait until the slow sweep has a complete trial, open its page, and watch the count grow without a reload.
      for (let i = 0; i < 100 && !(await page.locator('ul.sweeps a', { hasText: /^slow$/ }).count()); i++) await delay(100, await page.reload());
      await page.locator('ul.sweeps a', { hasText: /^slow$/ }).click();
      await page.waitForFunction(() => (window as unknown as { tfsweepCharts?: unknown[] }).tfsweepCharts?.length);
      const rows = async (): Promise<number> => page.locator('table.leaderboard tbody tr').count();
      const first = await rows();
      const navigations: string[] = [];
      page.on('framenavigated', (f) => navigations.push(f.url()));
      await page.waitForFunction((n) => document.querySelectorAll('table.leaderboard tbody tr').length > n, first, { timeout: 20_000 });
      assert.ok((await rows()) > first);
      assert.deepEqual(navigations, [], 'updated in place, not reloaded');
      assert.match((await page.locator('#live-status').textContent())!, /live: updated/);
      assert.deepEqual(errors, []);
      assert.deepEqual(dialogs, []);
      assert.deepEqual(external, []);
      // The hostile sweep's page through the dashboard: text, not markup.
      await page.goto(`${dashboard.url}sweep/${encodeURIComponent(HOSTILE)}`);
      await page.waitForFunction(() => (window as unknown as { tfsweepCharts?: unknown[] }).tfsweepCharts?.length);
      assert.equal(await page.locator('h1').textContent(), `Sweep ${HOSTILE}`);
      assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss ?? null), null);
      assert.deepEqual(dialogs, []);
      await page.close();
    } finally {
      child.kill('SIGKILL');
      await dashboard.close();
      await storage.close();
    }
  });

  it('says clearly when the port is taken (exit 2), and refuses to write', async () => {
    const storage = await openStorage(path.join(dir, 'r.db'), { readonly: true });
    const first = await startDashboard({ storage, isLive, host: '127.0.0.1', port: 0 });
    try {
      const port = new URL(first.url).port;
      const r = await cli(['dashboard', '--db', 'r.db', '--port', port], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`--port ${port}: the port is taken on 127\\.0\\.0\\.1`));
      const post = await fetch(first.url, { method: 'POST' });
      assert.equal(post.status, 405);
    } finally {
      await first.close();
      await storage.close();
    }
  });
});
