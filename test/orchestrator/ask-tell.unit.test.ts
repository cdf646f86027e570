import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sweep } from '../../src/orchestrator/sweep.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import type { Params } from '../../src/space/distributions.js';
import { tempDir, writeFile } from '../helpers.js';

const dir = tempDir();
writeFile(dir, 'f.mjs', 'export default async ({ x, y }) => (x - 1) ** 2 + (y + 2) ** 2;\n');
const text = (name: string, extra = '') =>
  `name: ${name}\nmethod: bayes\nseed: 3\nrun_cap: 20\nprogram: ./f.mjs\nparameters:\n  x: {min: -5.0, max: 5.0}\n  y: {min: -5.0, max: 5.0}\n${extra}`;
const f = (p: Params): number => ((p.x as number) - 1) ** 2 + ((p.y as number) + 2) ** 2;

async function open(storage: SqliteStorage, name: string, owner: string, extra = ''): Promise<Sweep> {
  const { sweep } = await Sweep.open(storage, parseSpecText(text(name, extra), 'f.yaml', dir), { identity: { host: 'test', pid: Number(owner.split('/')[1]), token: owner } });
  assert.ok(sweep);
  return sweep;
}

describe('ask-and-tell', () => {
  it('asks, tells and finishes at run_cap, in the same database the CLI uses', async () => {
    const storage = new SqliteStorage(':memory:');
    const sweep = await open(storage, 'at', 'test/1');
    let trial;
    let n = 0;
    while ((trial = await sweep.ask())) {
      assert.equal(trial.number, n++);
      assert.equal(trial.state, 'running');
      await sweep.report(trial, { epoch: 1, metrics: { partial: 1 }, durationMs: null, samples: null });
      await sweep.tell(trial, f(trial.params));
    }
    assert.equal(n, 20);
    assert.equal(sweep.done, true);
    assert.deepEqual(await sweep.close(), { status: 'finished', message: '20 trial(s) complete', failed: 0 });
    const trials = await storage.listTrials(sweep.record.id, { withEpochs: true });
    assert.ok(trials.every((t) => t.state === 'complete' && t.epochs!.length === 1));
    assert.equal((await storage.getSweep('at'))!.state, 'finished');
  });

  it('counts and ranks the whole sweep: completed and best include the other processes\' trials', async () => {
    const storage = new SqliteStorage(`${tempDir()}/two.db`);
    const a = await open(storage, 'two', 'test/1');
    const b = await open(storage, 'two', 'test/2');
    const values: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = (await a.ask())!;
      values.push(f(t.params));
      await a.tell(t, f(t.params));
    }
    assert.equal(a.progress.completed, 3);
    const t = (await b.ask())!;
    // b's claim read a's three results; its own result makes four.
    assert.equal(b.progress.completed, 3);
    assert.equal(b.progress.best, Math.min(...values));
    await b.tell(t, -1);
    assert.equal(b.progress.completed, 4);
    assert.equal(b.progress.best, -1);
    assert.equal(a.progress.completed, 3, 'a has not read since');
    await a.close();
    await b.close();
  });

  it('a resumed bayes sweep continues the same search: same seed, one worker, same sequence', async () => {
    const straight = new SqliteStorage(':memory:');
    const s1 = await open(straight, 'seq', 'test/1');
    const all: Params[] = [];
    for (let i = 0; i < 16; i++) {
      const t = (await s1.ask())!;
      all.push(t.params);
      await s1.tell(t, f(t.params));
    }

    const file = `${tempDir()}/resume.db`;
    const first = new SqliteStorage(file);
    const a = await open(first, 'seq', 'test/1');
    const part: Params[] = [];
    for (let i = 0; i < 12; i++) {
      const t = (await a.ask())!;
      part.push(t.params);
      await a.tell(t, f(t.params));
    }
    await a.close(true);
    await first.close();
    const again = new SqliteStorage(file);
    const b = await open(again, 'seq', 'test/2');
    assert.equal(b.resumed, true);
    for (let i = 0; i < 4; i++) {
      const t = (await b.ask())!;
      part.push(t.params);
      await b.tell(t, f(t.params));
    }
    assert.deepEqual(part, all);
    again.close();
  });

  it('fails trials, counts consecutive failures, and refuses a result without the metric', async () => {
    const storage = new SqliteStorage(':memory:');
    const sweep = await open(storage, 'fails', 'test/1', 'max_consecutive_failures: 3\n');
    const t0 = (await sweep.ask())!;
    await sweep.fail(t0, new Error('boom'));
    const t1 = (await sweep.ask())!;
    const told = await sweep.tell(t1, { loss: 1 });
    assert.equal(told.state, 'failed');
    assert.match(told.error!, /the objective returned no finite "value"/);
    const t2 = (await sweep.ask())!;
    await sweep.tell(t2, Number.NaN);
    assert.equal(await sweep.ask(), null);
    assert.match(sweep.stopReason!, /stopped after 3 consecutive failed trials/);
    assert.equal((await sweep.close()).status, 'stopped');
  });

  it('two concurrent asks never return the same configuration, even in a tiny space', async () => {
    const storage = new SqliteStorage(':memory:');
    const { sweep } = await Sweep.open(
      storage,
      parseSpecText('name: tiny\nmethod: bayes\nseed: 1\nrun_cap: 30\nprogram: ./f.mjs\nbayes: {n_startup_trials: 2}\nparameters:\n  x: {values: [0, 1, 2]}\n  y: {values: [0, 1]}\n', 'f.yaml', dir),
      { identity: { host: 'test', pid: 1, token: 'test/1' } },
    );
    for (let round = 0; round < 8; round++) {
      const a = (await sweep!.ask())!;
      const b = (await sweep!.ask())!;
      assert.notDeepEqual(a.params, b.params, `round ${round}`);
      await sweep!.tell(a, f(a.params));
      await sweep!.tell(b, f(b.params));
    }
  });
});
