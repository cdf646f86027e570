/**
 * The sweep file's JSON Schema for editors (draft-07, with descriptions): what `tfsweep schema` prints and
 * `schema/sweep.schema.json` holds, for the YAML language server's completion and checks
 * (`# yaml-language-server: $schema=…`). It is the shape validate.ts checks first, widened to the forms a
 * file may be written in before tfsweep reads it (W&B's nested `parameters:`, Keras' `early_stopping:`
 * block); relations between fields (min ≤ max, a parameter the trainer knows) are tfsweep's to check.
 */
import { sweepSchema } from './schema.js';

const DESCRIPTIONS: Record<string, string> = {
  name: "The sweep's identity in the database (default: the file's name).",
  description: 'Free text about the sweep.',
  method: 'grid, random or bayes (a Gaussian process or a TPE; see `bayes:`).',
  metric: 'The one metric to optimize: {name, goal: maximize|minimize, target}.',
  metrics: 'Two or more objectives [{name, goal}]: the sweep searches for their Pareto front.',
  constraints: 'Bounds a trial must meet to be ranked: [{name, max}, {name, min}].',
  run_cap: 'Finished trials to run (complete or pruned).',
  seed: 'Fixes the trials; omitted, one is drawn and recorded.',
  workers: 'Parallel trials in one process (default: its CPUs).',
  max_consecutive_failures: 'Stop after this many failed trials in a row (default 5).',
  max_retries: 'Run a failed trial again with the same parameters up to this many times (default 0).',
  enqueue: 'Configurations to run first, [{param: value, …}]; parameters left out are drawn.',
  checkpoints: 'Checkpoint every trial after each epoch so an interrupted one resumes (default true).',
  command: "Run each trial as a process: W&B's tokens with ${env}, ${interpreter}, ${program}, ${args}, ${args_json_file} …",
  stop_grace: 'Seconds a stopped command has between SIGTERM and SIGKILL (default 10).',
  parameters: 'The search space: each parameter a distribution (values, min/max, distribution, q, mu, sigma, a, b) with an optional when: condition.',
  train: "The built-in trainer's settings for every trial.",
  program: 'An objective module (its default export is called per trial), or a file a command runs.',
  bayes: "The bayes method's settings (sampler: auto|gp|tpe, n_startup_trials, …).",
  executions_per_trial: 'Train each configuration this many times with different seeds; its value is their mean.',
  save_models: 'Keep the saved models of the best K trials (0: none).',
  pruner: 'Stop hopeless trials early: {type: median|percentile|successive_halving|hyperband|threshold|none, …}.',
  early_terminate: "W&B's early termination block ({type: hyperband, min_iter, eta, …}).",
  max_time: 'Start no trial after this long (seconds, or "90m", "8h").',
};

type Json = Record<string, unknown>;

export function editorSchema(): Json {
  const base = JSON.parse(JSON.stringify(sweepSchema)) as Json & { properties: Record<string, Json> };
  for (const [key, text] of Object.entries(DESCRIPTIONS)) if (base.properties[key]) base.properties[key]!.description = text;
  const params = base.properties.parameters as Json & { additionalProperties: Json & { properties: Record<string, unknown> } };
  // W&B's nested blocks: a parameter may hold `parameters:` of its own.
  params.additionalProperties.properties.parameters = { $ref: '#/properties/parameters' };
  const train = base.properties.train as Json & { properties: Record<string, Json> };
  train.properties.early_stopping = {
    description: "Stop once the monitored metric stops improving: true, or Keras' block {monitor, patience, min_delta, restore_best_weights}.",
    anyOf: [
      { type: 'boolean' },
      { type: 'object', additionalProperties: false, properties: { monitor: { type: 'string' }, patience: { type: 'integer', minimum: 0 }, min_delta: { type: 'number', minimum: 0 }, restore_best_weights: { type: 'boolean' } } },
    ],
  };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://tfsweep.dev/schema/sweep.schema.json',
    title: 'tfsweep sweep file',
    description: 'A hyperparameter sweep for tfsweep, shaped like a W&B sweep configuration.',
    ...base,
  };
}
