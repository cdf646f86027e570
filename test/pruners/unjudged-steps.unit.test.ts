/**
 * Regression test for the second audit's E9: steps reported without the sweep's metric were judged as NaN
 * and every trial, the best included, was pruned at its first step, silently.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDir, writeFile } from '../helpers.js';
import { cli, stateCounts } from '../sweeps.js';

describe('pruning and steps without the metric', () => {
  it('E9: steps without the sweep\'s metric are stored, not judged, and the run says so once', async () => {
    const dir = tempDir();
    writeFile(dir, 'nm.mjs', 'export default (p, trial) => { for (let s = 0; s < 4; s++) { trial.report(s, { loss: p.x * (s + 1) }); if (trial.shouldPrune()) return p.x; } return p.x; };\n');
    writeFile(
      dir,
      'n.yaml',
      'name: nometric\nmethod: random\nseed: 5\nrun_cap: 12\nworkers: 1\nprogram: ./nm.mjs\npruner: {type: median, n_startup_trials: 2}\nparameters:\n  x: {min: 0.0, max: 1.0}\n',
    );
    const r = await cli(['run', 'n.yaml', '--db', 'r.db'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(stateCounts(path.join(dir, 'r.db'), 'nometric'), { complete: 12 });
    const warnings = r.stdout.split('\n').filter((l) => l.startsWith('warning:'));
    assert.equal(warnings.length, 1, r.stdout);
    assert.match(warnings[0]!, /reported step 0 without "value", the sweep's metric \(keys: loss\): the pruner judges only steps that carry it/);
  });
});
