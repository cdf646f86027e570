/** Regression test for the audit's D20: an objective module's top level never runs in tfsweep's own thread. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, writeFile } from '../helpers.js';
import { isOneLineError, programSweep, query } from '../sweeps.js';

describe('audit D20: the objective\'s top level never runs in tfsweep\'s own thread', () => {
  const dir = tempDir();
  const cases: Array<[string, string, RegExp]> = [
    ['exit', 'process.exit(0);', /its loading ended the thread \(exit code 0\)/],
    ['tla', 'await new Promise(() => {});', /its loading ended the thread \(exit code 13\)|did not finish loading/],
    ['loop', 'while (true) {}', /did not finish loading within 2 s/],
    ['weird', 'throw { weird: true };', /a non-Error value was thrown: \{"weird":true\}/],
  ];
  for (const [name, top, message] of cases) {
    it(`D20: a module whose top level does ${top} is refused with exit 2 and no database`, async () => {
      writeFile(dir, `${name}.mjs`, `${top}\nexport default (p) => p.x;\n`);
      writeFile(dir, `${name}.yaml`, programSweep(name, 2, '', `./${name}.mjs`));
      const r = await runCli(['run', `${name}.yaml`, '--db', `${name}.db`], { cwd: dir, env: { TFSWEEP_IMPORT_TIMEOUT_MS: '2000' } });
      assert.ok(isOneLineError(r), r.stderr);
      assert.match(r.stderr, message);
      assert.ok(!existsSync(path.join(dir, `${name}.db`)));
    });
  }

  it('D20: a module that replaces JSON.stringify at its top level cannot change what tfsweep stores', async () => {
    writeFile(dir, 'pwn.mjs', "JSON.stringify = () => '\"pwned\"';\nexport default (p) => p.x;\n");
    writeFile(dir, 'pwn.yaml', programSweep('pwn', 3, '', './pwn.mjs'));
    const r = await runCli(['run', 'pwn.yaml', '--db', 'pwn.db'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const db = path.join(dir, 'pwn.db');
    for (const row of query<{ v: string }>(db, 'SELECT value_json AS v FROM trial_params')) assert.ok(Number(row.v) >= 0 && Number(row.v) <= 1, row.v);
    assert.match(query<{ s: string }>(db, 'SELECT spec_json AS s FROM sweeps')[0]!.s, /^\{"name":"pwn"/);
    assert.equal((await runCli(['list', '--db', 'pwn.db'], { cwd: dir })).code, 0);
  });
});

