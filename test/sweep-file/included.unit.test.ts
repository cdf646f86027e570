import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSpecFile } from '../../src/sweep-file/load.js';
import { ROOT } from '../helpers.js';

describe('the sweeps included in sweeps/', () => {
  const files = readdirSync(path.join(ROOT, 'sweeps')).filter((f) => f.endsWith('.yaml'));
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  it('every one validates and is listed in the README', () => {
    assert.ok(files.length >= 10);
    for (const f of files) {
      assert.doesNotThrow(() => loadSpecFile(path.join(ROOT, 'sweeps', f)), f);
      assert.ok(readme.includes(`| \`sweeps/${f}\` |`), `${f} is not in the README's table of included sweeps`);
    }
  });

  it('mnist-pareto trades val_accuracy against params', () => {
    const { spec } = loadSpecFile(path.join(ROOT, 'sweeps', 'mnist-pareto.yaml'));
    assert.deepEqual(spec.metrics, [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'params', goal: 'minimize' }]);
  });
});
