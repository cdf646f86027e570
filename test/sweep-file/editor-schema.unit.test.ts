import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { ROOT, tempDir } from '../helpers.js';
import { cli } from '../sweeps.js';
import { editorSchema } from '../../src/sweep-file/editor-schema.js';

describe('the sweep file JSON Schema for editors', () => {
  const committed = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'sweep.schema.json'), 'utf8')) as Record<string, unknown>;
  const check = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(committed);

  it('is what `tfsweep schema` prints, and the committed schema/sweep.schema.json', async () => {
    const r = await cli(['schema'], tempDir());
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), committed);
    assert.deepEqual(editorSchema(), committed, 'regenerate it: node bin/tfsweep.js schema > schema/sweep.schema.json');
    assert.equal(committed.$schema, 'http://json-schema.org/draft-07/schema#');
  });

  it('accepts every sweep file included, W&B nested parameters and a Keras early_stopping block', () => {
    for (const f of readdirSync(path.join(ROOT, 'sweeps'))) {
      const doc = parse(readFileSync(path.join(ROOT, 'sweeps', f), 'utf8')) as unknown;
      assert.ok(check(doc), `${f}: ${JSON.stringify(check.errors)}`);
    }
    assert.ok(check({ method: 'random', parameters: { optimizer: { parameters: { lr: { min: 0.001, max: 0.1 } } } }, train: { early_stopping: { monitor: 'val_loss', patience: 2 } } }), JSON.stringify(check.errors));
  });

  it('refuses an unknown key, and a value of the wrong type', () => {
    assert.equal(check({ method: 'random', parameters: {}, run_capp: 3 }), false);
    assert.equal(check({ method: 'sobol', parameters: {} }), false);
    assert.equal(check({ method: 'grid', parameters: { units: { values: [1], step: 2 } } }), false);
  });
});
