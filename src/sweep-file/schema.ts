/**
 * JSON Schema for the shape of a sweep file (types, allowed keys, simple bounds). Relations between fields
 * (min ≤ max, probabilities summing to 1, a parameter the trainer knows) are checked in validate.ts, where the
 * messages can say more than a schema keyword can.
 */
import { DISTRIBUTION_TYPES } from '../space/distributions.js';
import { INDEXED_PATTERN, KNOBS, KNOB_NAMES, type KnobDef } from '../trainer/knobs.js';
import { PRUNERS } from '../pruners/registry.js';
import { SAMPLERS } from '../samplers/registry.js';

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

export const PARAMETER_KEYS = ['value', 'values', 'probabilities', 'distribution', 'min', 'max', 'q', 'mu', 'sigma', 'a', 'b', 'when'] as const;
/** The methods whose plug-in takes a settings block, named after the method (`bayes:`). */
export const SAMPLER_BLOCKS = SAMPLERS.filter((p) => p.keys !== null).map((p) => p.method);
/** The `pruner: {type}` values, and the types of W&B's `early_terminate:` block. */
export const PRUNER_TYPES = PRUNERS.filter((p) => !p.alias).map((p) => p.type);
export const EARLY_TERMINATE_TYPES = PRUNERS.flatMap((p) => (p.alias ? [p.alias.type] : []));

export const TOP_LEVEL_KEYS = [
  'name',
  'description',
  'method',
  'metric',
  'metrics',
  'constraints',
  'run_cap',
  'seed',
  'workers',
  'max_consecutive_failures',
  'max_retries',
  'enqueue',
  'checkpoints',
  'command',
  'stop_grace',
  'parameters',
  'train',
  'program',
  ...SAMPLER_BLOCKS,
  'executions_per_trial',
  'save_models',
  'pruner',
  'early_terminate',
  'max_time',
] as const;

/** Each sampler's settings block, with the keys its plug-in declares. */
const samplerBlocks = Object.fromEntries(
  SAMPLERS.flatMap((p) => (p.keys ? [[p.method, { type: 'object', additionalProperties: false, properties: p.keys }]] : [])),
);

export const sweepSchema = {
  type: 'object',
  required: ['method', 'parameters'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN },
    description: { type: 'string' },
    method: { enum: SAMPLERS.map((p) => p.method) },
    metric: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1 }, goal: { enum: ['maximize', 'minimize'] }, target: { type: 'number' } },
    },
    // W&B's list of objectives; `target` is accepted by the shape and refused in validate.ts with the reason.
    metrics: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, goal: { enum: ['maximize', 'minimize'] }, target: { type: 'number' } },
      },
    },
    constraints: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, max: { type: 'number' }, min: { type: 'number' } },
      },
    },
    // Each plug-in's own keys are checked in plugins.ts, which can name the plug-in a key belongs to.
    pruner: { type: 'object', required: ['type'], properties: { type: { enum: PRUNER_TYPES } } },
    early_terminate: { type: 'object', required: ['type'], properties: { type: { enum: EARLY_TERMINATE_TYPES } } },
    max_time: { type: ['number', 'string'] },
    run_cap: count(1),
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    workers: { type: 'integer', minimum: 1, maximum: MAX_WORKERS },
    max_consecutive_failures: count(1),
    max_retries: { type: 'integer', minimum: 0, maximum: 100 },
    checkpoints: { type: 'boolean' },
    command: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string' } },
    stop_grace: { type: 'number', minimum: 0, maximum: 3600 },
    // Each entry is checked against the space in validate.ts (its parameters, their distributions, conditions).
    enqueue: { type: 'array', maxItems: 10_000, items: { type: 'object' } },
    executions_per_trial: { type: 'integer', minimum: 1, maximum: 100 },
    save_models: count(0),
    program: { type: 'string', minLength: 1 },
    ...samplerBlocks,
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
          mu: { type: 'number' },
          sigma: { type: 'number', minimum: 0 },
          a: { type: 'number', exclusiveMinimum: 0 },
          b: { type: 'number', exclusiveMinimum: 0 },
          when: {
            type: 'object',
            minProperties: 1,
            additionalProperties: {
              anyOf: [
                scalar,
                { type: 'array', minItems: 1, maxItems: MAX_CATEGORICAL_VALUES, items: scalar },
                { type: 'object', additionalProperties: false, minProperties: 1, properties: { min: { type: 'number' }, max: { type: 'number' } } },
              ],
            },
          },
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
