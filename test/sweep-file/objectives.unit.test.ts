import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { specErrorOf, tempDir, writeFile } from '../helpers.js';

const two = `name: s
method: bayes
run_cap: 3
metrics:
  - {name: val_accuracy, goal: maximize}
  - {name: params, goal: minimize}
parameters:
  units: {values: [8, 16]}
`;

describe('metrics: and constraints:', () => {
  it('reads W&B\'s list of objectives; the first is the metric', () => {
    const { spec } = parseSpecText(two, 'sweep.yaml');
    assert.deepEqual(spec.metrics, [{ name: 'val_accuracy', goal: 'maximize' }, { name: 'params', goal: 'minimize' }]);
    assert.deepEqual(spec.metric, { name: 'val_accuracy', goal: 'maximize' });
    assert.equal(spec.constraints, undefined);
    const warnings = parseSpecText(two.replace('{name: val_accuracy, goal: maximize}', '{name: val_accuracy}'), 'sweep.yaml').warnings;
    assert.match(warnings.join('\n'), /metrics\[0\]\.goal: not given, so "val_accuracy" is minimized/);
  });

  it('reads constraints, with one objective or several', () => {
    const one = parseSpecText(`name: s\nmethod: random\nrun_cap: 3\nmetric: {name: val_accuracy, goal: maximize}\nconstraints:\n  - {name: params, max: 100000}\n  - {name: inference_ms, min: 0, max: 2.5}\nparameters:\n  units: {values: [8, 16]}\n`, 's.yaml').spec;
    assert.deepEqual(one.constraints, [{ name: 'params', max: 100000 }, { name: 'inference_ms', max: 2.5, min: 0 }]);
    const several = parseSpecText(`${two}constraints: [{name: inference_ms, max: 1}]\n`, 's.yaml').spec;
    assert.deepEqual(several.constraints, [{ name: 'inference_ms', max: 1 }]);
  });

  it('refuses what does not apply, at the line that says it', () => {
    assert.equal(errorOf(two.replace('metrics:', 'metric: {name: val_accuracy}\nmetrics:')), 'sweep.yaml:5: metrics: give either "metric" (one objective) or "metrics" (several, for a Pareto front), not both');
    assert.equal(errorOf(two.replace('  - {name: params, goal: minimize}\n', '')), 'sweep.yaml:4: metrics: expected two or more objectives, got 1; for one, write "metric: {name: val_accuracy, goal: …}"');
    assert.equal(errorOf(two.replace('{name: params, goal: minimize}', '{name: val_accuracy, goal: minimize}')), 'sweep.yaml:6: metrics[1].name: "val_accuracy" is listed twice; each objective once');
    assert.match(errorOf(two.replace('{name: params, goal: minimize}', '{name: params, goal: minimize, target: 100}')), /^sweep\.yaml:6: metrics\[1\]\.target: a target does not apply with several objectives/);
    assert.match(errorOf(`${two}pruner: {type: median}\n`), /^sweep\.yaml:9: pruner: pruning judges one metric's learning curve, and this sweep has several objectives/);
    assert.match(errorOf(`${two}early_terminate: {type: hyperband, min_iter: 1}\n`), /^sweep\.yaml:9: early_terminate: pruning judges one metric's learning curve/);
    assert.match(errorOf(`${two}bayes: {sampler: gp}\n`), /^sweep\.yaml:9: bayes\.sampler: the Gaussian process models one objective without constraints, and this sweep has several objectives/);
    assert.equal(errorOf(two.replace('name: params', 'name: parms')), 'sweep.yaml:6: metrics[1].name: expected one of loss, accuracy, val_loss, val_accuracy, params, model_bytes, inference_ms (what the built-in trainer reports), got "parms"; did you mean "params"?');
    assert.equal(errorOf(`${two}constraints: [{name: params}]\n`), 'sweep.yaml:9: constraints[0]: expected "max", "min" or both: the bound "params" must meet');
    assert.equal(errorOf(`${two}constraints: [{name: params, min: 5, max: 1}]\n`), 'sweep.yaml:9: constraints[0].min: 5 is above max 1: no trial could meet it');
    assert.match(errorOf(`${two}constraints: [{name: params, mx: 1}]\n`), /^sweep\.yaml:9: constraints\[0\]\.mx: unknown key "mx"; did you mean "max"\?/);
    const target = `name: s\nmethod: random\nrun_cap: 3\nmetric: {name: val_accuracy, goal: maximize, target: 0.9}\nconstraints: [{name: params, max: 1000}]\nparameters:\n  units: {values: [8, 16]}\n`;
    assert.match(errorOf(target), /^sweep\.yaml:4: metric\.target: a target ends the sweep at the first value reaching it, which may not meet the constraints/);
  });

  it('a program names its own metrics', () => {
    const dir = tempDir();
    writeFile(dir, 'p.mjs', 'export default async () => ({ loss: 1, latency: 2, memory: 3 });\n');
    const { spec } = parseSpecText(`name: s\nmethod: random\nrun_cap: 3\nprogram: ./p.mjs\nmetrics: [{name: loss, goal: minimize}, {name: latency, goal: minimize}]\nconstraints: [{name: memory, max: 64}]\nparameters:\n  x: {min: 0.0, max: 1.0}\n`, 's.yaml', dir);
    assert.deepEqual(spec.metrics!.map((m) => m.name), ['loss', 'latency']);
  });
});

function errorOf(text: string): string {
  return specErrorOf(text);
}

describe('enqueue:, max_retries, checkpoints', () => {
  const base = 'name: s\nmethod: random\nrun_cap: 3\nparameters:\n  layers: {values: [0, 1, 2]}\n  units: {values: [16, 32]}\n  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2}\n';

  it('reads them with the space checked', () => {
    const { spec } = parseSpecText(`${base}max_retries: 2\ncheckpoints: false\nenqueue:\n  - {layers: 1, units: 32, learning_rate: 0.001}\n  - {layers: 0}\n`, 's.yaml');
    assert.equal(spec.max_retries, 2);
    assert.equal(spec.checkpoints, false);
    assert.deepEqual(spec.enqueue, [{ layers: 1, units: 32, learning_rate: 0.001 }, { layers: 0 }]);
  });

  it('refuses a configuration outside the space, naming the entry and the parameter', () => {
    assert.equal(errorOf(`${base}enqueue:\n  - {units: 48}\n`), 'sweep.yaml:9: enqueue[0].units: "units": expected one of [16,32], got 48');
    assert.match(errorOf(`${base}enqueue:\n  - {unit: 16}\n`), /^sweep\.yaml:9: enqueue\[0\]\.unit: unknown parameter "unit" .*; did you mean "units"\?/);
    // `units` applies only with a hidden layer (the trainer's condition on layers).
    assert.match(errorOf(`${base}enqueue:\n  - {layers: 0, units: 16}\n`), /^sweep\.yaml:9: enqueue\[0\]\.units: "units" does not apply under its when: condition/);
    assert.match(errorOf(`${base}enqueue:\n  - {learning_rate: 1.0}\n`), /expected a value in \[0\.0001, 0\.01\], got 1/);
    assert.match(errorOf(`${base}max_retries: -1\n`), /^sweep\.yaml:8: max_retries: /);
    assert.match(errorOf(`${base}checkpoints: sometimes\n`), /^sweep\.yaml:8: checkpoints: /);
  });
});
