import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempDir, tinySweep, writeFile } from '../helpers.js';

function capture(cwd: string): { io: CliIo; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { io: { stdout, stderr, tty: false, env: {}, cwd }, out: () => out, err: () => err };
}

describe('main(argv) in-process', () => {
  it('resolves files against the given working directory', async () => {
    const dir = tempDir();
    writeFile(dir, 'grid.yaml', tinySweep('in-process'));
    const c = capture(dir);
    assert.equal(await main(['validate', 'grid.yaml'], c.io), 0);
    assert.match(c.out(), /^grid\.yaml: ok\nsweep {5}in-process\n/);
    assert.match(c.out(), /trials {4}4 \(grid\)/);
  });

  it('returns 2 with one line for a bad file, naming it as typed', async () => {
    const dir = tempDir();
    writeFile(dir, 'bad.yaml', 'method: grid\nparameters:\n  units: {values: []}\n');
    const c = capture(dir);
    assert.equal(await main(['validate', 'bad.yaml'], c.io), 2);
    assert.equal(c.err(), 'error: bad.yaml:3: parameters.units.values: expected at least 1 value, got an empty list\n');
  });

  it('prints help for every command and exits 0', async () => {
    for (const command of ['run', 'validate', 'list', 'status', 'trials', 'best', 'export']) {
      const c = capture(tempDir());
      assert.equal(await main([command, '--help'], c.io), 0, command);
      assert.match(c.out(), new RegExp(`tfsweep ${command}`), command);
    }
  });

  it('returns 2 for an unknown command or a missing argument', async () => {
    const c = capture(tempDir());
    assert.equal(await main(['frobnicate'], c.io), 2);
    assert.match(c.err(), /unknown command "frobnicate"/);
    const d = capture(tempDir());
    assert.equal(await main(['best'], d.io), 2);
    assert.match(d.err(), /Not enough non-option arguments|Missing required argument: sweep/);
  });
});
