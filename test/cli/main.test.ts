import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cli, tempDir, tinySweep, writeFile } from '../helpers.js';

describe('main(argv) in-process', () => {
  it('resolves files against the given working directory', async () => {
    const dir = tempDir();
    writeFile(dir, 'grid.yaml', tinySweep('in-process'));
    const r = await cli(['validate', 'grid.yaml'], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^grid\.yaml: ok\nsweep {5}in-process\n/);
    assert.match(r.stdout, /trials {4}4 \(grid\)/);
  });

  it('says which model bayes: auto gives the space, and refuses an unknown sampler with the field path', async () => {
    const dir = tempDir();
    writeFile(dir, 'o.mjs', 'export default async ({ x }) => x;\n');
    const head = 'method: bayes\nrun_cap: 5\nprogram: ./o.mjs\nparameters:\n  opt: {values: [a, b]}\n';
    writeFile(dir, 'flat.yaml', `${head}  x: {min: 0.0, max: 1.0}\n`);
    writeFile(dir, 'cond.yaml', `${head}  x: {min: 0.0, max: 1.0, when: {opt: b}}\n`);
    writeFile(dir, 'bad.yaml', `${head}  x: {min: 0.0, max: 1.0}\nbayes: {sampler: gpp}\n`);
    assert.match((await cli(['validate', 'flat.yaml'], dir)).stdout, /bayes {5}auto: here Gaussian process .*then from the 200th complete trial TPE/);
    assert.match((await cli(['validate', 'cond.yaml'], dir)).stdout, /bayes {5}auto: here TPE .*\(some trials lack a parameter under its when: condition\)/);
    const bad = await cli(['validate', 'bad.yaml'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: bad\.yaml:7: bayes\.sampler: .*auto.*tpe.*gp/);
  });

  it('returns 2 with one line for a bad file, naming it as typed', async () => {
    const dir = tempDir();
    writeFile(dir, 'bad.yaml', 'method: grid\nparameters:\n  units: {values: []}\n');
    const r = await cli(['validate', 'bad.yaml'], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'error: bad.yaml:3: parameters.units.values: expected at least 1 value, got an empty list\n');
  });

  it('prints help for every command and exits 0', async () => {
    for (const command of ['run', 'validate', 'list', 'status', 'trials', 'best', 'export']) {
      const r = await cli([command, '--help'], tempDir());
      assert.equal(r.code, 0, command);
      assert.match(r.stdout, new RegExp(`tfsweep ${command}`), command);
    }
  });

  it('returns 2 for an unknown command or a missing argument', async () => {
    const r = await cli(['frobnicate'], tempDir());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
    const d = await cli(['best'], tempDir());
    assert.equal(d.code, 2);
    assert.match(d.stderr, /Not enough non-option arguments|Missing required argument: sweep/);
  });
});
