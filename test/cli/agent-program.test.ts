/**
 * Regression tests for the second audit's E7: a database is data, never instructions. `tfsweep agent` runs
 * the program a stored sweep names only when the person starting it names the same file.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { loadSpecFile } from '../../src/sweep-file/load.js';
import { openStorage } from '../../src/storage/open.js';
import { tempDir, writeFile } from '../helpers.js';
import { cli, isOneLineError, objective, programSweep, stateCounts } from '../sweeps.js';
import { createSweep } from '../storage/fixtures.js';

/** A folder with a started, unfinished program sweep "s1" in r.db (max_time spent before any trial). */
async function startedSweep(): Promise<string> {
  const dir = tempDir();
  objective(dir, 'obj.mjs', 2, 0);
  writeFile(dir, 's1.yaml', programSweep('s1', 4));
  writeFile(dir, 'other.mjs', 'import { writeFileSync } from "node:fs"; writeFileSync("PWNED", "agent ran me\\n"); export default () => 1;\n');
  await created(dir, 's1.yaml');
  return dir;
}

/** Records the sweep of `file` in r.db without running a trial, as a `tfsweep run` elsewhere would have begun it. */
async function created(dir: string, file: string): Promise<void> {
  const loaded = loadSpecFile(path.join(dir, file));
  const storage = await openStorage(path.join(dir, 'r.db'));
  try {
    await createSweep(storage, loaded.spec, loaded.source);
  } finally {
    await storage.close();
  }
}

describe('agent and the program a database names', () => {
  it('E7: an agent refuses a program sweep unless --program names it, and says which path it would run', async () => {
    const dir = await startedSweep();
    const r = await cli(['agent', 's1', '--db', 'r.db'], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, new RegExp(`runs the program ${path.join(dir, 'obj.mjs').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*--program`));
  });

  it('E7: a tampered database cannot make an agent import another module', async () => {
    const dir = await startedSweep();
    const db = new Database(path.join(dir, 'r.db'));
    db.prepare("UPDATE sweeps SET spec_json = json_set(spec_json, '$.program', ?)").run(path.join(dir, 'other.mjs'));
    db.close();
    const bare = await cli(['agent', 's1', '--db', 'r.db'], dir);
    assert.ok(isOneLineError(bare), bare.stderr);
    assert.match(bare.stderr, /other\.mjs/);
    const named = await cli(['agent', 's1', '--db', 'r.db', '--program', 'obj.mjs'], dir);
    assert.ok(isOneLineError(named), named.stderr);
    assert.match(named.stderr, /is not the program sweep "s1" runs/);
    assert.equal(existsSync(path.join(dir, 'PWNED')), false);
  });

  it('E7: with --program naming the stored file (by any path to it), the agent runs the sweep', async () => {
    const dir = await startedSweep();
    const r = await cli(['agent', 's1', '--db', 'r.db', '--program', `./sub/../obj.mjs`], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stateCounts(path.join(dir, 'r.db'), 's1'), { complete: 4 });
  });

  it('E7: --program for a sweep of the built-in trainer is refused', async () => {
    const dir = tempDir();
    writeFile(dir, 't.yaml', 'name: t\nmethod: random\nrun_cap: 1\ntrain: {epochs: 1, train_size: 64}\nparameters:\n  units: {values: [8]}\n');
    await created(dir, 't.yaml');
    writeFile(dir, 'obj.mjs', 'export default () => 1;\n');
    const r = await cli(['agent', 't', '--db', 'r.db', '--program', 'obj.mjs'], dir);
    assert.ok(isOneLineError(r), r.stderr);
    assert.match(r.stderr, /runs no program/);
  });
});
