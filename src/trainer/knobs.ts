/**
 * The built-in trainer's settings: what a `train:` block may set and what a sweep parameter may override.
 * Spec validation reads these definitions, so adding a knob here is the one place that makes it sweepable.
 * `units_N`, `dropout_N` and `filters_N` set one layer or block (N from 1) and override the knob without N.
 */
import { quoteValue } from '../core/text.js';
import type { ParamValue } from '../space/distributions.js';

type Models = readonly ('mlp' | 'cnn')[];
interface Common {
  help: string;
  /** The models it applies to (all when absent). */
  models?: Models;
  /** The optimizers it applies to (all when absent). */
  optimizers?: readonly string[];
}

export type KnobDef = Common &
  (
    | { kind: 'enum'; values: readonly string[]; default: string }
    | { kind: 'bool'; default: boolean }
    | { kind: 'string'; pattern: RegExp; expected: string; default: string }
    | { kind: 'int'; min: number; max?: number; default: number | null }
    | { kind: 'float'; min: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean; default: number }
  );

/** Activations tfjs layers offer that make sense for a hidden layer; snake_case names map to tfjs's. */
export const ACTIVATIONS: Record<string, string> = {
  relu: 'relu',
  relu6: 'relu6',
  elu: 'elu',
  selu: 'selu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  hard_sigmoid: 'hardSigmoid',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  mish: 'mish',
  gelu: 'gelu',
  linear: 'linear',
};

export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adagrad', 'adamax', 'adadelta'] as const;

export const KNOBS = {
  dataset: {
    kind: 'string',
    pattern: /^(mnist|idx:.+|csv:.+)$/,
    expected: 'mnist, idx:FOLDER or csv:FILE',
    default: 'mnist',
    help: 'mnist (embedded), idx:FOLDER (IDX files, gzipped or not) or csv:FILE (label + pixel columns); paths relative to the sweep file',
  },
  model: { kind: 'enum', values: ['mlp', 'cnn'], default: 'mlp', help: 'mlp: dense layers; cnn: conv blocks, then the same dense head' },
  epochs: { kind: 'int', min: 1, max: 10000, default: 3, help: 'passes over the training split' },
  batch_size: { kind: 'int', min: 1, max: 65536, default: 32, help: 'samples per gradient step' },
  learning_rate: { kind: 'float', min: 0, exclusiveMin: true, default: 0.001, help: "the optimizer's step size" },
  optimizer: { kind: 'enum', values: OPTIMIZERS, default: 'adam', help: 'the optimizer' },
  momentum: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'momentum of sgd and rmsprop', optimizers: ['sgd', 'rmsprop'] },
  layers: { kind: 'int', min: 0, max: 16, default: 1, help: 'hidden dense layers (for cnn: of the head; 0: straight to the softmax)' },
  units: { kind: 'int', min: 1, max: 65536, default: 128, help: 'width of every hidden dense layer (units_N: of layer N)' },
  activation: { kind: 'enum', values: Object.keys(ACTIVATIONS), default: 'relu', help: 'activation of the hidden layers' },
  dropout: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'dropout after every hidden dense layer (dropout_N: after layer N)' },
  l1: { kind: 'float', min: 0, default: 0, help: 'L1 kernel regularisation of the hidden layers' },
  l2: { kind: 'float', min: 0, default: 0, help: 'L2 kernel regularisation of the hidden layers' },
  batch_norm: { kind: 'bool', default: false, help: 'batch normalisation before each hidden activation' },
  conv_blocks: { kind: 'int', min: 1, max: 4, default: 2, help: 'conv → pool blocks', models: ['cnn'] },
  filters: { kind: 'int', min: 1, max: 1024, default: 16, help: 'filters of the first block, doubling per block (filters_N: of block N)', models: ['cnn'] },
  kernel_size: { kind: 'int', min: 1, max: 9, default: 3, help: 'convolution kernel size', models: ['cnn'] },
  pool: { kind: 'enum', values: ['max', 'avg'], default: 'max', help: 'pooling after each conv block', models: ['cnn'] },
  conv_dropout: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'dropout after each conv block', models: ['cnn'] },
  normalization: { kind: 'enum', values: ['scale', 'standardize', 'none'], default: 'scale', help: 'scale: ÷255; standardize: mean/std of the training split; none: raw 0–255' },
  augment: { kind: 'bool', default: true, help: 'apply the augmentation ranges below (false: train on the images as they are)' },
  rotation_range: { kind: 'float', min: 0, max: 180, default: 0, help: 'augmentation: random rotation within ± degrees' },
  width_shift_range: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'augmentation: random horizontal shift, fraction of the width' },
  height_shift_range: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'augmentation: random vertical shift, fraction of the height' },
  zoom_range: { kind: 'float', min: 0, max: 1, exclusiveMax: true, default: 0, help: 'augmentation: random zoom in [1 − z, 1 + z]' },
  lr_schedule: { kind: 'enum', values: ['none', 'step', 'exponential', 'plateau'], default: 'none', help: 'learning-rate schedule' },
  lr_decay: { kind: 'float', min: 0, max: 1, exclusiveMin: true, default: 0.5, help: 'factor applied by the schedule' },
  lr_decay_epochs: { kind: 'int', min: 1, max: 10000, default: 2, help: 'step schedule: epochs between decays' },
  lr_patience: { kind: 'int', min: 1, max: 10000, default: 2, help: 'plateau schedule: epochs without improvement before a decay' },
  min_lr: { kind: 'float', min: 0, default: 0, help: 'the schedule never goes below this' },
  monitor: { kind: 'enum', values: ['val_loss', 'val_accuracy', 'loss', 'accuracy'], default: 'val_loss', help: 'metric watched by early stopping and the plateau schedule' },
  early_stopping: { kind: 'bool', default: false, help: 'stop when `monitor` has not improved for `patience` epochs' },
  patience: { kind: 'int', min: 0, max: 10000, default: 3, help: 'early stopping: epochs without improvement allowed' },
  min_delta: { kind: 'float', min: 0, default: 0, help: 'early stopping: the least change that counts as improvement' },
  restore_best_weights: { kind: 'bool', default: false, help: "early stopping: end with the best epoch's weights (and value)" },
  validation_split: {
    kind: 'float',
    min: 0,
    max: 1,
    exclusiveMin: true,
    exclusiveMax: true,
    default: 0.1,
    help: 'fraction of the training subset held out for val_* metrics',
  },
  train_size: { kind: 'int', min: 10, max: 60000, default: null, help: 'seeded subset of the training set (default: all 60,000)' },
} as const satisfies Record<string, KnobDef>;

export type KnobName = keyof typeof KNOBS;
export const KNOB_NAMES = Object.keys(KNOBS) as KnobName[];

/** Knobs that also come per layer or block, as `NAME_N`. */
export const INDEXED_KNOBS = ['units', 'dropout', 'filters'] as const;
export const INDEXED_PATTERN = /^(units|dropout|filters)_([1-9]\d?)$/;

/** The definition behind a knob name (`units_3` → units), or undefined for an unknown name. */
export function knobDef(name: string): KnobDef | undefined {
  if (name in KNOBS) return KNOBS[name as KnobName];
  const m = INDEXED_PATTERN.exec(name);
  return m ? KNOBS[m[1] as KnobName] : undefined;
}

export interface TrainConfig {
  dataset: string;
  model: 'mlp' | 'cnn';
  epochs: number;
  batch_size: number;
  learning_rate: number;
  optimizer: (typeof OPTIMIZERS)[number];
  momentum: number;
  layers: number;
  units: number;
  activation: string;
  dropout: number;
  l1: number;
  l2: number;
  batch_norm: boolean;
  conv_blocks: number;
  filters: number;
  kernel_size: number;
  pool: 'max' | 'avg';
  conv_dropout: number;
  normalization: 'scale' | 'standardize' | 'none';
  augment: boolean;
  rotation_range: number;
  width_shift_range: number;
  height_shift_range: number;
  zoom_range: number;
  lr_schedule: 'none' | 'step' | 'exponential' | 'plateau';
  lr_decay: number;
  lr_decay_epochs: number;
  lr_patience: number;
  min_lr: number;
  monitor: 'val_loss' | 'val_accuracy' | 'loss' | 'accuracy';
  early_stopping: boolean;
  patience: number;
  min_delta: number;
  restore_best_weights: boolean;
  validation_split: number;
  train_size: number | null;
  /** units_N, dropout_N, filters_N */
  [indexed: `${(typeof INDEXED_KNOBS)[number]}_${number}`]: number | undefined;
}

/**
 * What the built-in trainer reports for every trial: the training metrics of each epoch, and once per trial
 * the model's size and speed (trainable weights, bytes of the saved weights, median milliseconds to predict
 * one image), so that a sweep can trade accuracy against them (`metrics:`, `constraints:`).
 */
export const EPOCH_METRICS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
export const MODEL_METRICS = ['params', 'model_bytes', 'inference_ms'] as const;
export const TRAIN_METRICS = [...EPOCH_METRICS, ...MODEL_METRICS] as const;

export function defaultTrainConfig(): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const name of KNOB_NAMES) out[name] = KNOBS[name].default;
  return out as unknown as TrainConfig;
}

/** Why `value` is not acceptable for knob `name`, or undefined when it is. */
export function knobProblem(name: string, value: ParamValue): string | undefined {
  const def = knobDef(name);
  if (!def) return `unknown setting "${name}"`;
  if (def.kind === 'enum') {
    return typeof value === 'string' && def.values.includes(value)
      ? undefined
      : `expected one of ${def.values.map((v) => JSON.stringify(v)).join(', ')}, got ${quoteValue(value, 60)}`;
  }
  if (def.kind === 'bool') return typeof value === 'boolean' ? undefined : `expected true or false, got ${quoteValue(value, 60)}`;
  if (def.kind === 'string') return typeof value === 'string' && def.pattern.test(value) ? undefined : `expected ${def.expected}, got ${quoteValue(value, 60)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a finite number, got ${typeof value === 'number' ? String(value) : quoteValue(value, 60)}`;
  if (def.kind === 'int' && !Number.isInteger(value)) return `expected an integer, got ${value}`;
  const exMin = def.kind === 'float' && def.exclusiveMin;
  const exMax = def.kind === 'float' && def.exclusiveMax;
  if (exMin ? value <= def.min : value < def.min) return `expected a value ${exMin ? '>' : '≥'} ${def.min}, got ${value}`;
  if (def.max !== undefined && (exMax ? value >= def.max : value > def.max)) {
    return `expected a value ${exMax ? '<' : '≤'} ${def.max}, got ${value}`;
  }
  return undefined;
}

/** The trial's full configuration: the sweep's train defaults with the trial's params on top. */
export function resolveTrainConfig(base: TrainConfig, params: Record<string, ParamValue>): TrainConfig {
  return { ...base, ...params } as TrainConfig;
}

/** Layer i's (1-based) value of an indexed knob: `NAME_i` when set, else `NAME`. */
export function perLayer(config: TrainConfig, name: (typeof INDEXED_KNOBS)[number], i: number): number {
  return (config[`${name}_${i}`] as number | undefined) ?? (config[name] as number);
}
