import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sweep } from '../../src/orchestrator/sweep.js';
import { parseSpecText } from '../../src/spec/load.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import type { Params } from '../../src/space/distributions.js';
import { tempDir, writeFile } from '../helpers.js';

const dir = tempDir();
writeFile(dir, 'f.mjs', 'export default async ({ x, y }) => (x - 1) ** 2 + (y + 2) ** 2;\n');
const text = (name: string, extra = '') =>
  `name: ${name}\nmethod: bayes\nseed: 3\nrun_cap: 20\nprogram: ./f.mjs\nparameters:\n  x: {min: -5.0, max: 5.0}\n  y: {min: -5.0, max: 5.0}\n${extra}`;
const f = (p: Params): number => ((p.x as number) - 1) ** 2 + ((p.y as number) + 2) ** 2;

function open(storage: SqliteStorage, name: string, owner: string, extra = ''): Sweep {
  const { sweep } = Sweep.open(storage, parseSpecText(text(name, extra), 'f.yaml', dir), owner);
  assert.ok(sweep);
  return sweep;
}

describe('ask-and-tell', () => {
  it('asks, tells and finishes at run_cap, in the same database the CLI uses', () => {
    const storage = new SqliteStorage(':memory:');
    const sweep = open(storage, 'at', 'test/1');
    let trial;
    let n = 0;
    while ((trial = sweep.ask())) {
      assert.equal(trial.number, n++);
      assert.equal(trial.state, 'running');
      sweep.report(trial, { epoch: 1, metrics: { partial: 1 }, durationMs: null, samples: null });
      sweep.tell(trial, f(trial.params));
    }
    assert.equal(n, 20);
    assert.equal(sweep.done, true);
    assert.deepEqual(sweep.close(), { status: 'finished', message: '20 trial(s) complete', failed: 0 });
    const trials = storage.listTrials(sweep.record.id, { withEpochs: true });
    assert.ok(trials.every((t) => t.state === 'complete' && t.epochs!.length === 1));
    assert.equal(storage.getSweep('at')!.state, 'finished');
  });

  it('a resumed bayes sweep continues the same search: same seed, one worker, same sequence', () => {
    const straight = new SqliteStorage(':memory:');
    const s1 = open(straight, 'seq', 'test/1');
    const all: Params[] = [];
    for (let i = 0; i < 16; i++) {
      const t = s1.ask()!;
      all.push(t.params);
      s1.tell(t, f(t.params));
    }

    const file = `${tempDir()}/resume.db`;
    const first = new SqliteStorage(file);
    const a = open(first, 'seq', 'test/1');
    const part: Params[] = [];
    for (let i = 0; i < 12; i++) {
      const t = a.ask()!;
      part.push(t.params);
      a.tell(t, f(t.params));
    }
    a.close(true);
    first.close();
    const again = new SqliteStorage(file);
    const b = open(again, 'seq', 'test/2');
    assert.equal(b.resumed, true);
    for (let i = 0; i < 4; i++) {
      const t = b.ask()!;
      part.push(t.params);
      b.tell(t, f(t.params));
    }
    assert.deepEqual(part, all);
    again.close();
  });

  it('fails trials, counts consecutive failures, and refuses a result without the metric', () => {
    const storage = new SqliteStorage(':memory:');
    const sweep = open(storage, 'fails', 'test/1', 'max_consecutive_failures: 3\n');
    const t0 = sweep.ask()!;
    sweep.fail(t0, new Error('boom'));
    const t1 = sweep.ask()!;
    const told = sweep.tell(t1, { loss: 1 });
    assert.equal(told.state, 'failed');
    assert.match(told.error!, /the objective returned no finite "value"/);
    const t2 = sweep.ask()!;
    sweep.tell(t2, Number.NaN);
    assert.equal(sweep.ask(), null);
    assert.match(sweep.stopReason!, /stopped after 3 consecutive failed trials/);
    assert.equal(sweep.close().status, 'stopped');
  });

  it('two concurrent asks never return the same configuration, even in a tiny space', () => {
    const storage = new SqliteStorage(':memory:');
    const { sweep } = Sweep.open(
      storage,
      parseSpecText('name: tiny\nmethod: bayes\nseed: 1\nrun_cap: 30\nprogram: ./f.mjs\nbayes: {n_startup_trials: 2}\nparameters:\n  x: {values: [0, 1, 2]}\n  y: {values: [0, 1]}\n', 'f.yaml', dir),
      'test/1',
    );
    for (let round = 0; round < 8; round++) {
      const a = sweep!.ask()!;
      const b = sweep!.ask()!;
      assert.notDeepEqual(a.params, b.params, `round ${round}`);
      sweep!.tell(a, f(a.params));
      sweep!.tell(b, f(b.params));
    }
  });
});
