/**
 * Regression test for the second audit's E8: a program's metric named `epoch`, `execution` or `duration_ms`
 * never replaces an epoch's own fields in JSON exports and the report; it is kept as `metric:NAME`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tempDir, writeFile } from '../helpers.js';
import { cli } from '../sweeps.js';

describe('exported epochs', () => {
  it('E8: metrics named epoch, execution and duration_ms keep their values and leave the step, execution and duration alone', async () => {
    const dir = tempDir();
    writeFile(dir, 'ep.mjs', 'export default (p, trial) => { for (let s = 0; s < 3; s++) trial.report(s, { value: s, epoch: 100 + s, execution: 7, duration_ms: 5 }); return 1; };\n');
    writeFile(dir, 'e.yaml', 'name: epm\nmethod: grid\nworkers: 1\nprogram: ./ep.mjs\nparameters:\n  x: {values: [1]}\n');
    assert.equal((await cli(['run', 'e.yaml', '--db', 'r.db'], dir)).code, 0);
    for (const command of ['trials', 'best']) {
      const r = await cli([command, 'epm', '--db', 'r.db', '--json'], dir);
      assert.equal(r.code, 0, r.stderr);
      const epochs = (JSON.parse(r.stdout) as Array<{ epochs: Array<Record<string, unknown>> }>)[0]!.epochs;
      assert.deepEqual(epochs[1], { epoch: 1, value: 1, 'metric:epoch': 101, 'metric:execution': 7, 'metric:duration_ms': 5, duration_ms: null });
    }
  });
});
