/**
 * JSON Schema for the shape of a sweep file (types, allowed keys, simple bounds). Relations between fields
 * (min ≤ max, probabilities summing to 1, a parameter the trainer knows) are checked in validate.ts, where the
 * messages can say more than a schema keyword can.
 */
import { DISTRIBUTION_TYPES } from '../space/distributions.js';
import { INDEXED_PATTERN, KNOBS, KNOB_NAMES, type KnobDef } from '../trainer/knobs.js';

const scalar = { type: ['number', 'string', 'boolean', 'null'] };
/** Integers tfsweep counts with must stay exact in a double. */
const count = (minimum: number, maximum = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum, maximum }) as const;

/** The sweep-name rule; a name derived from the file name must obey it too (it becomes a folder name). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
export const NAME_MAX_LENGTH = 128;
/** A categorical's values are kept in memory and in the stored spec: a bound keeps both small. */
export const MAX_CATEGORICAL_VALUES = 100_000;
/** The most parallel trials one process runs: a sweep file's `workers` and `--workers` alike. */
export const MAX_WORKERS = 256;
/** Far beyond any real search space; every trial stores one row per parameter. */
export const MAX_PARAMETERS = 1000;

function knobSchema(def: KnobDef): object {
  if (def.kind === 'enum') return { enum: def.values };
  if (def.kind === 'bool') return { type: 'boolean' };
  if (def.kind === 'string') return { type: 'string' };
  return { type: def.kind === 'int' ? 'integer' : 'number' };
}

export const PARAMETER_KEYS = ['value', 'values', 'probabilities', 'distribution', 'min', 'max', 'q'] as const;
export const TOP_LEVEL_KEYS = [
  'name',
  'description',
  'method',
  'metric',
  'run_cap',
  'seed',
  'workers',
  'max_consecutive_failures',
  'parameters',
  'train',
  'program',
  'bayes',
  'executions_per_trial',
  'save_models',
  'pruner',
  'early_terminate',
  'max_time',
] as const;

export const PRUNER_TYPES = ['median', 'percentile', 'successive_halving', 'hyperband', 'threshold', 'none'] as const;
/** The keys each pruner type takes (besides `type`), with Optuna's names. */
export const PRUNER_KEYS: Record<(typeof PRUNER_TYPES)[number], readonly string[]> = {
  median: ['n_startup_trials', 'n_warmup_steps', 'interval_steps', 'n_min_trials'],
  percentile: ['percentile', 'n_startup_trials', 'n_warmup_steps', 'interval_steps', 'n_min_trials'],
  successive_halving: ['min_resource', 'reduction_factor', 'min_early_stopping_rate', 'bootstrap_count'],
  hyperband: ['min_resource', 'max_resource', 'reduction_factor', 'bootstrap_count'],
  threshold: ['lower', 'upper', 'n_warmup_steps', 'interval_steps'],
  none: [],
};
export const EARLY_TERMINATE_KEYS = ['type', 'min_iter', 'max_iter', 's', 'eta', 'strict'] as const;

export const BAYES_KEYS = ['n_startup_trials', 'n_ei_candidates', 'multivariate', 'constant_liar', 'prior_weight', 'bandwidth_factor', 'magic_clip_exponent', 'seed'] as const;

export const sweepSchema = {
  type: 'object',
  required: ['method', 'parameters'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN },
    description: { type: 'string' },
    method: { enum: ['grid', 'random', 'bayes'] },
    metric: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1 }, goal: { enum: ['maximize', 'minimize'] }, target: { type: 'number' } },
    },
    pruner: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { enum: PRUNER_TYPES },
        percentile: { type: 'number', minimum: 0, maximum: 100 },
        n_startup_trials: count(0),
        n_warmup_steps: count(0),
        interval_steps: count(1),
        n_min_trials: count(1),
        // An integer or "auto": checked in validate.ts, whose message can name both.
        min_resource: { type: ['integer', 'string'] },
        max_resource: { type: ['integer', 'string'] },
        reduction_factor: count(2, 1000),
        min_early_stopping_rate: count(0, 100),
        bootstrap_count: count(0),
        lower: { type: 'number' },
        upper: { type: 'number' },
      },
    },
    early_terminate: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { enum: ['hyperband'] },
        min_iter: count(1),
        max_iter: count(1),
        s: count(1, 1000),
        eta: { type: 'number', exclusiveMinimum: 1, maximum: 1000 },
        strict: { type: 'boolean' },
      },
    },
    max_time: { type: ['number', 'string'] },
    run_cap: count(1),
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    workers: { type: 'integer', minimum: 1, maximum: MAX_WORKERS },
    max_consecutive_failures: count(1),
    executions_per_trial: { type: 'integer', minimum: 1, maximum: 100 },
    save_models: count(0),
    program: { type: 'string', minLength: 1 },
    bayes: {
      type: 'object',
      additionalProperties: false,
      properties: {
        n_startup_trials: count(0),
        n_ei_candidates: count(1, 100_000),
        multivariate: { type: 'boolean' },
        constant_liar: { type: 'boolean' },
        prior_weight: { type: 'number', exclusiveMinimum: 0, maximum: 1e6 },
        bandwidth_factor: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        magic_clip_exponent: { type: 'number', minimum: 0.5, maximum: 3 },
        seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
      },
    },
    parameters: {
      type: 'object',
      maxProperties: MAX_PARAMETERS,
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          value: scalar,
          values: { type: 'array', minItems: 1, maxItems: MAX_CATEGORICAL_VALUES, items: scalar },
          probabilities: { type: 'array', maxItems: MAX_CATEGORICAL_VALUES, items: { type: 'number', minimum: 0 } },
          distribution: { enum: DISTRIBUTION_TYPES },
          min: { type: 'number' },
          max: { type: 'number' },
          q: { type: 'number', exclusiveMinimum: 0 },
        },
      },
    },
    train: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(KNOB_NAMES.map((name) => [name, knobSchema(KNOBS[name])])),
      patternProperties: { [INDEXED_PATTERN.source]: { type: 'number' } },
    },
  },
} as const;
