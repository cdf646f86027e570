import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandCommand, interpreter, parseMetricsLine } from '../../src/worker/command.js';

describe('a command trial', () => {
  const params = { lr: 0.01, layers: 2, act: 'relu', bn: true, dropout: false };

  it("expands W&B's macros: whole tokens into one argument per parameter, inner ones into their value", () => {
    const file = () => '/tmp/args.json';
    assert.deepEqual(expandCommand(['${env}', '${interpreter}', '${program}', '${args}'], '/x/train.py', params, file), [
      '/usr/bin/env', interpreter(), '/x/train.py', '--lr=0.01', '--layers=2', '--act=relu', '--bn=true', '--dropout=false',
    ]);
    assert.deepEqual(expandCommand(['${args_no_hyphens}'], null, params, file), ['lr=0.01', 'layers=2', 'act=relu', 'bn=true', 'dropout=false']);
    assert.deepEqual(expandCommand(['${args_no_boolean_flags}'], null, params, file), ['--lr=0.01', '--layers=2', '--act=relu', '--bn']);
    assert.deepEqual(expandCommand(['${args_json}'], null, params, file), [JSON.stringify(params)]);
    assert.deepEqual(expandCommand(['sh', '${program}', '--config=${args_json_file}'], '/x/run.sh', params, file), ['sh', '/x/run.sh', '--config=/tmp/args.json']);
  });

  it('picks python where it is on the PATH, else python3', () => {
    assert.equal(interpreter('/nonexistent'), 'python3');
  });

  it("reads Katib's name=value lines and JSON lines; epoch= or step= names the step; other lines are not metrics", () => {
    assert.deepEqual(parseMetricsLine('epoch=3 loss=0.25 accuracy=0.9'), { step: 3, metrics: { loss: 0.25, accuracy: 0.9 } });
    assert.deepEqual(parseMetricsLine('Epoch 3: val_loss = 1.5e-2, lr=1e-3'), { step: null, metrics: { val_loss: 0.015, lr: 0.001 } });
    assert.deepEqual(parseMetricsLine('{"step": 2, "value": 0.5, "note": "x"}'), { step: 2, metrics: { value: 0.5 } });
    assert.equal(parseMetricsLine('loading data from /tmp/x=y'), null);
    assert.equal(parseMetricsLine('training…'), null);
    assert.equal(parseMetricsLine('epoch=4'), null, 'a step alone reports no metric');
  });
});
