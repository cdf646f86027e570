/**
 * The audit's storage defects D1, D10 and D11 on PostgreSQL (their SQLite tests are in faults.test.ts): real
 * `tfsweep` processes on a real server, each test in its own schema. Needs TFSWEEP_TEST_POSTGRES (.ci/run
 * starts a server and sets it).
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { openStorage } from '../../src/storage/open.js';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { objective, programSweep } from './util.js';
import { PG_SKIP, pgSchemas } from '../postgres.js';

const schemas = pgSchemas('audit');
const freshUrl = (): string => schemas.url();

async function counts(url: string, name: string): Promise<{ states: Record<string, number>; configs: number }> {
  const storage = await openStorage(url, { readonly: true });
  try {
    const sweep = (await storage.getSweep(name))!;
    const trials = await storage.listTrials(sweep.id);
    const states: Record<string, number> = {};
    for (const t of trials) states[t.state] = (states[t.state] ?? 0) + 1;
    return { states, configs: new Set(trials.map((t) => t.configIndex)).size };
  } finally {
    await storage.close();
  }
}

describe('audit D1/D10/D11 on PostgreSQL', { skip: PG_SKIP }, () => {
  after(() => schemas.drop());

  it('D1: two different sweeps on one database at once both finish, with no trial failed or lost', async () => {
    const dir = tempDir();
    const url = freshUrl();
    objective(dir, 'obj.mjs', 10, 5);
    writeFile(dir, 'g.yaml', 'name: g\nmethod: grid\nworkers: 2\nprogram: ./obj.mjs\nparameters:\n  x: {distribution: int_uniform, min: 1, max: 40}\n');
    writeFile(dir, 'r.yaml', programSweep('r', 40));
    const [g, r] = await Promise.all([runCli(['run', 'g.yaml', '--db', url], { cwd: dir }), runCli(['run', 'r.yaml', '--db', url], { cwd: dir })]);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await counts(url, 'g'), { states: { complete: 40 }, configs: 40 });
    assert.deepEqual(await counts(url, 'r'), { states: { complete: 40 }, configs: 40 });
  });

  it('D10: processes creating the schema of a new database at once: all run the one sweep, each trial once', async () => {
    const dir = tempDir();
    objective(dir, 'obj.mjs', 3, 20);
    writeFile(dir, 'k.yaml', programSweep('k', 6).replace('workers: 2', 'workers: 1'));
    for (let round = 0; round < 3; round++) {
      const url = freshUrl();
      const all = await Promise.all([0, 1, 2].map(() => runCli(['run', 'k.yaml', '--db', url], { cwd: dir })));
      for (const r of all) {
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /already exists|duplicate key|\n\s+at /);
      }
      assert.deepEqual(await counts(url, 'k'), { states: { complete: 6 }, configs: 6 });
    }
  });

  it('D11: every complete trial read during a run has all its epochs, every trial its params', async () => {
    const dir = tempDir();
    const url = freshUrl();
    objective(dir, 'obj.mjs', 10, 0);
    writeFile(dir, 'w.yaml', programSweep('w', 80));
    const writer = runCli(['run', 'w.yaml', '--db', url], { cwd: dir });
    let done = false;
    void writer.then(() => (done = true));
    let snapshots = 0;
    while (!done) {
      await delay(20);
      const storage = await openStorage(url, { readonly: true }).catch(() => null);
      if (!storage) continue; // not migrated yet
      try {
        const sweep = await storage.getSweep('w');
        if (!sweep) continue;
        for (const t of await storage.listTrials(sweep.id, { withEpochs: true })) {
          if (t.state === 'complete') assert.equal(t.epochs!.length, 10, `trial ${t.number} complete with ${t.epochs!.length} epochs`);
          assert.deepEqual(Object.keys(t.params), ['x'], `trial ${t.number} without params`);
        }
        snapshots++;
      } finally {
        await storage.close();
      }
    }
    assert.equal((await writer).code, 0);
    assert.ok(snapshots >= 3, `${snapshots} snapshots`);
  });
});
