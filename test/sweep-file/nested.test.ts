/**
 * W&B's nested `parameters:` blocks: dotted names in the spec, storage and tables, `when:` naming a dotted
 * parameter, errors placed on the nested line, and a program receiving the nested object (a real run: the
 * objective fails the trial if it gets a flat key, an inactive parameter, or misses an active one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecError } from '../../src/errors.js';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { fileSegments, flattenParameters, nestParams } from '../../src/sweep-file/nested.js';
import { cli, tempDir, writeFile } from '../helpers.js';

describe('nested parameters', () => {
  it('flattens blocks to dotted names, and nests them again for a program', () => {
    const { parameters, nested } = flattenParameters({ a: { values: [1] }, opt: { parameters: { lr: { value: 0.1 }, deep: { parameters: { x: { value: 2 } } } } } });
    assert.deepEqual(Object.keys(parameters as object), ['a', 'opt.lr', 'opt.deep.x']);
    assert.deepEqual(nested, ['opt.lr', 'opt.deep.x']);
    assert.deepEqual(nestParams({ a: 1, 'opt.lr': 0.1, 'opt.deep.x': 2, 'flat.name': 3 }, nested), { a: 1, opt: { lr: 0.1, deep: { x: 2 } }, 'flat.name': 3 });
    assert.deepEqual(fileSegments(['parameters', 'opt.deep.x', 'min'], new Set(nested)), ['parameters', 'opt', 'parameters', 'deep', 'parameters', 'x', 'min']);
  });

  it('refuses a nested block that holds anything else, an empty one, and a name given twice, on their lines', () => {
    const errorOf = (params: string): string => {
      try {
        parseSpecText(`name: s\nmethod: random\nrun_cap: 2\nprogram: ${JSON.stringify(process.execPath)}\nparameters:\n${params}`, 'sweep.yaml');
      } catch (err) {
        assert.ok(err instanceof SpecError);
        return err.format();
      }
      assert.fail('expected a refusal');
    };
    assert.equal(errorOf('  opt:\n    values: [1]\n    parameters: {lr: {value: 1}}\n'), 'sweep.yaml:7: parameters.opt.values: not allowed here: a block with "parameters" holds nothing else');
    assert.match(errorOf('  opt: {parameters: {}}\n'), /^sweep\.yaml:6: parameters\.opt\.parameters: expected a mapping of at least one parameter/);
    assert.match(errorOf('  opt.lr: {value: 1}\n  opt: {parameters: {lr: {value: 2}}}\n'), /"opt\.lr" is named twice/);
    assert.equal(errorOf('  opt:\n    parameters:\n      lr: {min: 0.5, max: 0.1}\n'), 'sweep.yaml:8: parameters.opt.lr.min: expected min ≤ max, got min 0.5 > max 0.1');
  });

  it('a program receives the nested object, conditions on dotted names hold, and tables show dotted names', async () => {
    const dir = tempDir();
    writeFile(
      dir,
      'objective.mjs',
      `export default async function objective(params) {
  if ('optimizer.name' in params || typeof params.optimizer !== 'object') throw new Error('flat: ' + JSON.stringify(params));
  const { name, lr, momentum } = params.optimizer;
  if ((momentum !== undefined) !== (name === 'sgd')) throw new Error('momentum ' + momentum + ' with ' + name);
  return Math.abs(Math.log10(lr) + 2) + (momentum ?? 0);
}
`,
    );
    writeFile(
      dir,
      's.yaml',
      `name: nested
method: random
run_cap: 12
seed: 4
program: ./objective.mjs
parameters:
  optimizer:
    parameters:
      name: {values: [adam, sgd]}
      lr: {distribution: log_uniform_values, min: 0.0001, max: 0.1}
      momentum: {values: [0.5, 0.9], when: {optimizer.name: sgd}}
`,
    );
    const run = await cli(['run', 's.yaml', '--db', 'r.db', '--workers', '1'], dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /12 trial\(s\) complete/);
    const trials = await cli(['trials', 'nested', '--db', 'r.db', '--json'], dir);
    const rows = JSON.parse(trials.stdout) as Array<{ state: string; params: Record<string, unknown> }>;
    assert.equal(rows.length, 12);
    assert.ok(rows.every((t) => t.state === 'complete' && ('optimizer.momentum' in t.params) === (t.params['optimizer.name'] === 'sgd')), JSON.stringify(rows.map((t) => t.params)));
    assert.ok(rows.some((t) => 'optimizer.momentum' in t.params) && rows.some((t) => !('optimizer.momentum' in t.params)));
  });
});
