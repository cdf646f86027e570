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
