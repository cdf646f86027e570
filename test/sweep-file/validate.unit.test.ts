import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecError } from '../../src/errors.js';
import { loadSpecFile, parseSpecText } from '../../src/sweep-file/load.js';
import path from 'node:path';
import { specErrorOf, tempDir, writeFile } from '../helpers.js';

const base = `name: s
method: random
run_cap: 3
parameters:
  learning_rate: {distribution: log_uniform_values, min: 1.0e-4, max: 1.0e-2}
`;

/** Parses `text` expecting a SpecError; returns its one-line message. */
const errorOf = specErrorOf;

describe('sweep-file validation', () => {
  it('accepts a valid file and fills defaults', () => {
    const { spec } = parseSpecText(base, 'sweep.yaml');
    assert.equal(spec.method, 'random');
    assert.deepEqual(spec.metric, { name: 'val_accuracy', goal: 'maximize' });
    assert.equal(spec.max_consecutive_failures, 5);
    assert.equal(spec.train.validation_split, 0.1);
    assert.deepEqual(spec.parameters.learning_rate, { type: 'log_uniform_values', min: 1e-4, max: 1e-2 });
    assert.equal(spec.seed_given, false);
  });

  it('reports a YAML syntax error with its line', () => {
    assert.equal(
      errorOf('method: grid\nparameters:\n  units: [1, 2\n  epochs: {value: 1}\n'),
      'sweep.yaml:4: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('rejects an unknown method with a suggestion', () => {
    assert.equal(
      errorOf(base.replace('method: random', 'method: randm')),
      'sweep.yaml:2: method: expected one of "grid", "random", "bayes", got the string "randm"; did you mean "random"?',
    );
  });

  it("accepts bayes with its TPE defaults, overridable under bayes:", () => {
    const { spec } = parseSpecText(base.replace('method: random', 'method: bayes'), 's.yaml');
    assert.equal(spec.method, 'bayes');
    assert.equal(spec.bayes!.n_startup_trials, 10);
    assert.equal(spec.bayes!.n_ei_candidates, 24);
    assert.equal(spec.bayes!.multivariate, true);
    assert.equal(spec.bayes!.magic_clip_exponent, 1.5);
    const custom = parseSpecText(`${base.replace('method: random', 'method: bayes')}bayes: {n_startup_trials: 5, multivariate: false, magic_clip_exponent: 1, seed: 9}\n`, 's.yaml').spec;
    assert.equal(custom.bayes!.n_startup_trials, 5);
    assert.equal(custom.bayes!.multivariate, false);
    assert.equal(custom.bayes!.magic_clip_exponent, 1);
    assert.equal(custom.seed, 9);
    assert.equal(errorOf(`${base}bayes: {multivariate: true}\n`), 'sweep.yaml:6: bayes: applies to method "bayes" only, not "random"');
    assert.match(errorOf(`${base.replace('method: random', 'method: bayes')}bayes: {n_ei_candidate: 4}\n`), /bayes\.n_ei_candidate: unknown key "n_ei_candidate"; did you mean "n_ei_candidates"\?/);
  });

  it('takes a program relative to the sweep file, with any parameter names and no train block', () => {
    const dir = tempDir();
    writeFile(dir, 'objective.mjs', 'export default async ({ x }) => x * x;\n');
    const file = writeFile(dir, 'p.yaml', 'method: random\nrun_cap: 2\nprogram: ./objective.mjs\nparameters:\n  x: {min: -1.0, max: 1.0}\n');
    const { spec } = loadSpecFile(file);
    assert.equal(spec.program, path.join(dir, 'objective.mjs'));
    assert.deepEqual(spec.metric, { name: 'value', goal: 'minimize' });
    assert.deepEqual(spec.parameters.x, { type: 'uniform', min: -1, max: 1 });
    writeFile(dir, 'missing.yaml', 'method: random\nrun_cap: 2\nprogram: ./nope.mjs\nparameters:\n  x: {min: -1.0, max: 1.0}\n');
    assert.throws(() => loadSpecFile(path.join(dir, 'missing.yaml')), (err: unknown) => err instanceof SpecError && /:3: program: no such file: .*nope\.mjs$/.test(err.format()));
    writeFile(dir, 'train.yaml', 'method: random\nrun_cap: 2\nprogram: ./objective.mjs\ntrain: {epochs: 1}\nparameters:\n  x: {min: -1.0, max: 1.0}\n');
    assert.throws(() => loadSpecFile(path.join(dir, 'train.yaml')), (err: unknown) => err instanceof SpecError && /train: a sweep with a "program" takes no "train" block/.test(err.format()));
  });

  it('rejects min > max naming the field', () => {
    assert.equal(
      errorOf(base.replace('min: 1.0e-4, max: 1.0e-2', 'min: 0.1, max: 0.01')),
      'sweep.yaml:5: parameters.learning_rate.min: expected min ≤ max, got min 0.1 > max 0.01',
    );
  });

  it('rejects log bounds ≤ 0', () => {
    assert.equal(
      errorOf(base.replace('min: 1.0e-4', 'min: 0')),
      'sweep.yaml:5: parameters.learning_rate.min: expected a value > 0 for a log scale, got 0',
    );
  });

  it('accepts negative bounds for log_uniform, which are natural logs (W&B)', () => {
    const { spec } = parseSpecText(base.replace('log_uniform_values, min: 1.0e-4, max: 1.0e-2', 'log_uniform, min: -9.2, max: -4.6'), 's.yaml');
    assert.deepEqual(spec.parameters.learning_rate, { type: 'log_uniform', min: -9.2, max: -4.6 });
  });

  it('rejects empty values', () => {
    assert.equal(
      errorOf(`${base}  units: {values: []}\n`),
      'sweep.yaml:6: parameters.units.values: expected at least 1 value, got an empty list',
    );
  });

  it('rejects an unknown distribution with a suggestion', () => {
    assert.match(
      errorOf(base.replace('log_uniform_values', 'log_uniformvalues')),
      /^sweep\.yaml:5: parameters\.learning_rate\.distribution: expected one of "constant", .*, got the string "log_uniformvalues"; did you mean "log_uniform_values"\?$/,
    );
  });

  it('rejects wrong types', () => {
    assert.equal(errorOf(base.replace('run_cap: 3', 'run_cap: three')), 'sweep.yaml:3: run_cap: expected an integer, got the string "three"');
    assert.equal(
      errorOf(base.replace('max: 1.0e-2', 'max: high')),
      'sweep.yaml:5: parameters.learning_rate.max: expected a finite number, got the string "high"',
    );
    assert.equal(errorOf(`${base}train: {epochs: 1.5}\n`), 'sweep.yaml:6: train.epochs: expected an integer, got number 1.5');
  });

  it('rejects unknown keys with a did-you-mean', () => {
    assert.equal(
      errorOf(`${base}run_capp: 4\n`),
      'sweep.yaml:6: run_capp: unknown key "run_capp"; did you mean "run_cap"? (allowed: name, description, method, metric, metrics, constraints, run_cap, seed, workers, max_consecutive_failures, max_retries, enqueue, checkpoints, command, stop_grace, parameters, train, program, bayes, executions_per_trial, save_models, pruner, early_terminate, max_time)',
    );
    assert.match(errorOf(`${base}  units: {value: 3, distrbution: constant}\n`), /^sweep\.yaml:6: parameters\.units\.distrbution: unknown key "distrbution"; did you mean "distribution"\?/);
    assert.match(errorOf(`${base}train: {epoch: 2}\n`), /^sweep\.yaml:6: train\.epoch: unknown key "epoch"; did you mean "epochs"\?/);
  });

  it('rejects a parameter the trainer does not know', () => {
    assert.match(errorOf(`${base}  unitz: {values: [1]}\n`), /^sweep\.yaml:6: parameters\.unitz: unknown parameter "unitz" for the built-in trainer; did you mean "units"\?/);
  });

  it('rejects run_cap ≤ 0', () => {
    assert.equal(errorOf(base.replace('run_cap: 3', 'run_cap: 0')), 'sweep.yaml:3: run_cap: expected a value ≥ 1, got 0');
    assert.equal(errorOf(base.replace('run_cap: 3', 'run_cap: -2')), 'sweep.yaml:3: run_cap: expected a value ≥ 1, got -2');
  });

  it('rejects probabilities that do not sum to 1, or do not match the values', () => {
    assert.equal(
      errorOf(`${base}  optimizer: {values: [adam, sgd], probabilities: [0.5, 0.6]}\n`),
      'sweep.yaml:6: parameters.optimizer.probabilities: expected probabilities that sum to 1, got a sum of 1.1',
    );
    assert.equal(
      errorOf(`${base}  optimizer: {values: [adam, sgd], probabilities: [1]}\n`),
      'sweep.yaml:6: parameters.optimizer.probabilities: expected 2 probabilities (one per value), got 1',
    );
  });

  it('rejects a continuous parameter in a grid, naming it', () => {
    assert.match(
      errorOf(base.replace('method: random', 'method: grid')),
      /^sweep\.yaml:5: parameters\.learning_rate\.distribution: grid search needs discrete values, but "learning_rate" is log_uniform_values/,
    );
  });

  it('checks parameter values against what the trainer accepts', () => {
    assert.equal(
      errorOf(`${base}  optimizer: {values: [adam, adamw]}\n`),
      'sweep.yaml:6: parameters.optimizer.values[1]: expected one of "adam", "sgd", "rmsprop", "adagrad", "adamax", "adadelta", got "adamw"',
    );
    assert.equal(
      errorOf(`${base}  units: {distribution: uniform, min: 16, max: 64}\n`),
      'sweep.yaml:6: parameters.units.distribution: "units" takes integers; use int_uniform or a q_ distribution, not uniform',
    );
    assert.equal(errorOf(`${base}  batch_size: {values: [0, 32]}\n`), 'sweep.yaml:6: parameters.batch_size.values[0]: expected a value ≥ 1, got 0');
  });

  it('rejects a metric the trainer does not report', () => {
    assert.equal(
      errorOf(`${base}metric: {name: val_acc, goal: maximize}\n`),
      'sweep.yaml:6: metric.name: expected one of loss, accuracy, val_loss, val_accuracy, params, model_bytes, inference_ms (what the built-in trainer reports), got "val_acc"; did you mean "val_accuracy"?',
    );
  });

  it('requires run_cap for random search', () => {
    assert.match(errorOf(base.replace('run_cap: 3\n', '')), /^sweep\.yaml:1: run_cap: is required for method "random"/);
  });

  it('infers int_uniform from integer bounds and uniform from float bounds (W&B)', () => {
    const { spec } = parseSpecText(`${base}  units: {min: 32, max: 512, q: 32}\n  validation_split: {min: 0.1, max: 0.2}\n`, 's.yaml');
    assert.deepEqual(spec.parameters.units, { type: 'int_uniform', min: 32, max: 512, q: 32 });
    assert.deepEqual(spec.parameters.validation_split, { type: 'uniform', min: 0.1, max: 0.2 });
  });

  it("reads Keras' early_stopping object as flat, sweepable settings", () => {
    const { spec } = parseSpecText(`${base}train: {early_stopping: {monitor: val_accuracy, patience: 2, restore_best_weights: true}}\n`, 's.yaml');
    assert.equal(spec.train.early_stopping, true);
    assert.equal(spec.train.monitor, 'val_accuracy');
    assert.equal(spec.train.patience, 2);
    assert.equal(spec.train.restore_best_weights, true);
    assert.match(errorOf(`${base}train: {early_stopping: {patiense: 2}}\n`), /train\.early_stopping\.patiense: unknown key "patiense"; did you mean "patience"\?/);
  });

  it('reads JSON files too', () => {
    const { spec } = parseSpecText('{"method": "grid", "parameters": {"units": {"values": [8, 16]}}}', 'my-sweep.json');
    assert.equal(spec.name, 'my-sweep');
    assert.deepEqual(spec.parameters.units, { type: 'categorical', values: [8, 16] });
  });

  it('names a missing file', () => {
    assert.throws(() => loadSpecFile('/nonexistent/sweep.yaml'), (err: unknown) => err instanceof SpecError && err.format() === '/nonexistent/sweep.yaml: no such file');
  });

  it('warns when an accuracy metric falls back to the minimize default', () => {
    const { warnings, spec } = parseSpecText(`${base}metric: {name: val_accuracy}\n`, 's.yaml');
    assert.equal(spec.metric.goal, 'minimize');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /metric\.goal: not given/);
  });
});
