/**
 * Regression tests for the second audit's minor findings on the command line: M1 (bidi and separator
 * characters printed raw), M5 (a report's default file name from a stored name), M6 (a resume counting
 * pruned trials as complete), M7 (exit 1 after `tfsweep stop`), M9 (budgets no trial fits in, or absurd).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { printable, csvText, markdownText } from '../../src/core/text.js';
import { defaultReportFile } from '../../src/cli/commands/report.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { cli, isOneLineError, objective, programSweep, query } from '../sweeps.js';

describe('minor findings of the second audit', () => {
  it('M1: bidi controls and line/paragraph separators are shown as escapes in terminal, Markdown and CSV text', () => {
    assert.equal(printable('a\u202eb\u2028c\u2029d\u2066e'), 'a\\u202eb\\u2028c\\u2029d\\u2066e');
    assert.equal(markdownText('x\u202ey|z'), 'x\\u202ey\\|z');
    assert.equal(csvText('\u202e=1'), '\\u202e=1');
    assert.equal(csvText('=1\u2028'), "'=1\\u2028");
  });

  it('M1: trials and best print a value holding a right-to-left override escaped', async () => {
    const dir = tempDir();
    writeFile(dir, 'obj.mjs', 'export default () => 1;\n');
    writeFile(dir, 'b.yaml', 'name: bidi\nmethod: grid\nprogram: ./obj.mjs\nparameters:\n  s: {values: ["abc\\u202Edef"]}\n');
    assert.equal((await cli(['run', 'b.yaml', '--db', 'r.db'], dir)).code, 0);
    for (const command of ['trials', 'best']) {
      const r = await cli([command, 'bidi', '--db', 'r.db'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /\u202e/);
      assert.match(r.stdout, /abc\\u202edef/);
    }
  });

  it('M5: the default report file is a plain name in the working directory, whatever the stored name', () => {
    assert.equal(defaultReportFile('mnist-quick'), 'mnist-quick-report.html');
    assert.equal(defaultReportFile('../../../x/evil'), '__.._.._x_evil-report.html');
    assert.equal(path.dirname(defaultReportFile('<img src=x onerror=alert("N")></title>')), '.');
  });

  it('M6: a resumed sweep counts its complete and pruned trials apart', async () => {
    const dir = tempDir();
    writeFile(dir, 'c.mjs', 'export default async (p, trial) => { for (let s = 0; s < 3; s++) { trial.report(s, { value: p.x + s }); if (trial.shouldPrune()) return p.x; await new Promise((r) => setTimeout(r, 150)); } return p.x; };\n');
    writeFile(dir, 'c.yaml', 'name: rc\nmethod: random\nseed: 4\nrun_cap: 10\nworkers: 1\nprogram: ./c.mjs\npruner: {type: threshold, upper: 2.5}\nparameters:\n  x: {min: 0.0, max: 1.0}\n');
    assert.equal((await cli(['run', 'c.yaml', '--db', 'r.db', '--max-time', '1'], dir)).code, 0);
    const counts = query<{ state: string; n: number }>(path.join(dir, 'r.db'), 'SELECT state, COUNT(*) AS n FROM trials GROUP BY state');
    const complete = counts.find((c) => c.state === 'complete')?.n ?? 0;
    const pruned = counts.find((c) => c.state === 'pruned')?.n ?? 0;
    assert.ok(complete + pruned < 10 && pruned > 0, JSON.stringify(counts));
    const r = await cli(['run', 'c.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`resuming with ${complete} complete${pruned ? `, ${pruned} pruned` : ''}`));
  });

  it('M7: a process stopped by `tfsweep stop` (running trials finished) exits 0', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 2, 300);
    writeFile(dir, 's.yaml', programSweep('drained', 200));
    const run = runCli(['run', 's.yaml', '--db', 'r.db'], { cwd: dir, env: { TFSWEEP_HEARTBEAT_MS: '200' } });
    const db = path.join(dir, 'r.db');
    for (let i = 0; i < 300 && !query(db, "SELECT 1 FROM trials WHERE state = 'complete'").length; i++) await new Promise((r) => setTimeout(r, 50));
    const stop = await cli(['stop', 'drained', '--db', 'r.db'], dir);
    assert.equal(stop.code, 0, stop.stderr);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stopped by `tfsweep stop`/);
    assert.equal(query(db, "SELECT 1 FROM trials WHERE state IN ('running', 'interrupted')").length, 0);
  });

  it('M9: max_time below a second or above a year is refused in the file and on the command line', async () => {
    const dir = tempDir();
    objective(dir);
    for (const value of ['0.0001', '1e300']) {
      writeFile(dir, 't.yaml', programSweep('t', 2, `max_time: ${value}\n`));
      const r = await cli(['run', 't.yaml', '--db', 'r.db'], dir);
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, /max_time: expected a duration of (at least 1 second|at most 366 days)/);
    }
    writeFile(dir, 'u.yaml', programSweep('u', 2));
    const flag = await cli(['run', 'u.yaml', '--db', 'r.db', '--max-time', '0.5'], dir);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /--max-time: expected a duration of at least 1 second/);
  });
});
