/**
 * The built-in trainer's settings: what a `train:` block may set and what a sweep parameter may override.
 * Spec validation reads these definitions, so adding a knob here is the one place that makes it sweepable.
 */
import type { ParamValue } from '../space/distributions.js';

export type KnobDef =
  | { kind: 'enum'; values: readonly string[]; default: string; help: string }
  | { kind: 'int'; min: number; max?: number; default: number | null; help: string }
  | { kind: 'float'; min: number; max?: number; exclusiveMin?: boolean; exclusiveMax?: boolean; default: number; help: string };

export const KNOBS = {
  dataset: { kind: 'enum', values: ['mnist'], default: 'mnist', help: 'the embedded MNIST (60,000 train / 10,000 test)' },
  model: { kind: 'enum', values: ['mlp'], default: 'mlp', help: 'Flatten → Dense(units, relu) → Dense(10, softmax)' },
  epochs: { kind: 'int', min: 1, max: 10000, default: 3, help: 'passes over the training split' },
  batch_size: { kind: 'int', min: 1, max: 65536, default: 32, help: 'samples per gradient step' },
  learning_rate: { kind: 'float', min: 0, exclusiveMin: true, default: 0.001, help: "the optimizer's step size" },
  optimizer: { kind: 'enum', values: ['adam', 'sgd', 'rmsprop'], default: 'adam', help: 'the optimizer' },
  units: { kind: 'int', min: 1, max: 65536, default: 128, help: 'width of the hidden layer' },
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

export interface TrainConfig {
  dataset: string;
  model: string;
  epochs: number;
  batch_size: number;
  learning_rate: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  units: number;
  validation_split: number;
  train_size: number | null;
}

export const TRAIN_METRICS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;

export function defaultTrainConfig(): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const name of KNOB_NAMES) out[name] = KNOBS[name].default;
  return out as unknown as TrainConfig;
}

/** Why `value` is not acceptable for knob `name`, or undefined when it is. */
export function knobProblem(name: KnobName, value: ParamValue): string | undefined {
  const def: KnobDef = KNOBS[name];
  if (def.kind === 'enum') {
    return typeof value === 'string' && def.values.includes(value)
      ? undefined
      : `expected one of ${def.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${JSON.stringify(value)}`;
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
