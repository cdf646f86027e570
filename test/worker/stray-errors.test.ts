/**
 * Regression tests for the second audit's objective defects E4 (a thrown null crashing the orchestrator) and
 * E5 (an error a finished trial left behind failing the next trial on its worker thread), and the minor
 * messages of M6 (an empty error, a thrown Symbol, a huge error).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFile } from '../helpers.js';
import { cli, query } from '../sweeps.js';

interface Row {
  number: number;
  state: string;
  error: string | null;
}

function trials(dir: string): Row[] {
  return query<Row>(path.join(dir, 'r.db'), 'SELECT number, state, error FROM trials ORDER BY number');
}

describe('objectives that throw oddly', () => {
  it('E4: an objective that throws null fails its trial; the sweep goes on and finishes', async () => {
    const dir = tempDir();
    writeFile(dir, 'modes.mjs', "export default async (p) => { if (p.mode === 'null') throw null; if (p.mode === 'undef') throw undefined; return 1; };\n");
    writeFile(dir, 'tn.yaml', 'name: tn\nmethod: grid\nworkers: 1\nprogram: ./modes.mjs\nparameters:\n  mode: {values: [ok, "null", undef, ok2]}\n');
    const r = await cli(['run', 'tn.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |TypeError/);
    assert.deepEqual(
      trials(dir).map((t) => [t.state, t.error]),
      [
        ['complete', null],
        ['failed', 'the objective threw null'],
        ['failed', 'the objective threw undefined'],
        ['complete', null],
      ],
    );
  });

  it('E5: a timer or promise a finished trial left behind does not fail the next trial; it is said as a warning', async () => {
    const dir = tempDir();
    // Even configurations return at once but leave a throw (or a rejection) behind; odd ones run 400 ms.
    writeFile(
      dir,
      'dangle.mjs',
      `export default async (p) => {
  if (p.i % 2 === 0) {
    if (p.i === 2) Promise.reject(new Error('late rejection from trial ' + p.i));
    else setTimeout(() => { throw new Error('late throw from trial ' + p.i); }, 100);
    return p.i;
  }
  await new Promise((r) => setTimeout(r, 400));
  return p.i;
};
`,
    );
    writeFile(dir, 'd.yaml', 'name: dangle\nmethod: grid\nworkers: 1\nprogram: ./dangle.mjs\nparameters:\n  i: {values: [0, 1, 2, 3, 4, 5]}\n');
    const r = await cli(['run', 'd.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(trials(dir).map((t) => t.state), ['complete', 'complete', 'complete', 'complete', 'complete', 'complete']);
    assert.match(r.stdout, /warning: trial 0 threw after it had ended \(its result stands\): late throw from trial 0/);
    assert.match(r.stdout, /warning: trial 2 threw after it had ended \(its result stands\): late rejection from trial 2/);
  });

  it('E5: an error the running trial\'s own timer throws still fails that trial, with its message', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'own.mjs',
      `export default async (p) => {
  if (p.i === 1) await new Promise(() => setTimeout(() => { throw new Error('async throw inside trial ' + p.i); }, 50));
  return p.i;
};
`,
    );
    writeFile(dir, 'o.yaml', 'name: own\nmethod: grid\nworkers: 1\nprogram: ./own.mjs\nparameters:\n  i: {values: [0, 1, 2]}\n');
    const r = await cli(['run', 'o.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      trials(dir).map((t) => [t.state, t.error]),
      [
        ['complete', null],
        ['failed', 'async throw inside trial 1'],
        ['complete', null],
      ],
    );
  });

  it('M6: an empty Error, a Symbol and a huge message each fail their trial with a readable, bounded error', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'odd.mjs',
      `export default async (p) => {
  if (p.k === 'empty') throw new Error();
  if (p.k === 'sym') throw Symbol('odd');
  if (p.k === 'huge') throw new Error('x'.repeat(200000));
  return 0;
};
`,
    );
    writeFile(dir, 'k.yaml', 'name: odd\nmethod: grid\nworkers: 1\nprogram: ./odd.mjs\nparameters:\n  k: {values: [empty, sym, huge]}\n');
    const r = await cli(['run', 'k.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    const [empty, sym, huge] = trials(dir);
    assert.equal(empty!.error, 'Error (thrown without a message)');
    assert.equal(sym!.error, 'the objective threw Symbol(odd)');
    assert.ok(huge!.error!.length < 10_100, `stored ${huge!.error!.length} characters`);
    assert.match(huge!.error!, /… \(cut: 200000 characters in all\)$/);
  });
});
