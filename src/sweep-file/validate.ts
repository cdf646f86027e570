/**
 * Turns a parsed sweep document into a SweepSpec, or throws a SpecIssue naming the field (as path segments)
 * and what was expected. load.ts adds the file name and line number.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { type Distribution, type ParamValue, axisOf, isDiscrete } from '../space/distributions.js';
import { freshSeed } from '../space/rng.js';
import { INDEXED_PATTERN, KNOB_NAMES, TRAIN_METRICS, defaultTrainConfig, knobDef, knobProblem, type TrainConfig } from '../trainer/knobs.js';
import { BAYES_KEYS, EARLY_TERMINATE_KEYS, NAME_MAX_LENGTH, NAME_PATTERN, PARAMETER_KEYS, PRUNER_KEYS, TOP_LEVEL_KEYS, sweepSchema } from './schema.js';
import { parseDuration } from './duration.js';
import type { PrunerSpec } from './types.js';
import { clip } from '../core/text.js';
import { TPE_DEFAULTS, type TpeSettings } from '../samplers/tpe/tpe.js';
import type { SweepSpec } from './types.js';

export type Segment = string | number;

/** A problem at a place in the document; converted to a SpecError by load.ts. */
export class SpecIssue extends Error {
  constructor(
    readonly segments: Segment[],
    message: string,
  ) {
    super(message);
  }
}

export function formatPath(segments: readonly Segment[]): string {
  let out = '';
  for (const seg of segments) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const checkShape = ajv.compile(sweepSchema);

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${clip(JSON.stringify(value), 60)}`;
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN (not a number)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value < 0 ? 'minus ' : ''}infinity`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, segments: readonly Segment[]): unknown {
  let node: unknown = root;
  for (const seg of segments) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

function keysAllowedAt(segments: readonly Segment[]): readonly string[] {
  if (segments.length === 0) return TOP_LEVEL_KEYS;
  if (segments[0] === 'metric') return ['name', 'goal', 'target'];
  if (segments[0] === 'early_terminate') return EARLY_TERMINATE_KEYS;
  if (segments[0] === 'pruner') return ['type', ...new Set(Object.values(PRUNER_KEYS).flat())];
  if (segments[0] === 'bayes') return BAYES_KEYS;
  if (segments[0] === 'train') return KNOB_NAMES;
  if (segments[0] === 'parameters' && segments.length === 2) return PARAMETER_KEYS;
  return [];
}

function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  // An abbreviation (val_acc for val_accuracy) is a better clue than edit distance.
  const extension = candidates.find((c) => word.length >= 3 && c.startsWith(word));
  if (extension) return `; did you mean "${extension}"?`;
  const guess = closest(word, candidates as string[]);
  return distance(word, guess) <= Math.max(2, Math.floor(guess.length / 3)) ? `; did you mean "${guess}"?` : '';
}

function issueFromAjv(error: ErrorObject, raw: unknown): SpecIssue {
  const segments: Segment[] = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Array indices: ajv gives them as strings; make them numbers where the parent is a list.
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (typeof seg === 'string' && /^\d+$/.test(seg) && Array.isArray(valueAt(raw, segments.slice(0, i)))) segments[i] = Number(seg);
  }
  const actual = valueAt(raw, segments);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = keysAllowedAt(segments);
      return new SpecIssue([...segments, key], `unknown key "${key}"${didYouMean(key, allowed)} (allowed: ${allowed.join(', ')})`);
    }
    case 'required':
      return new SpecIssue([...segments, String(p.missingProperty)], 'is required');
    case 'type': {
      const wanted = String(p.type)
        .split(',')
        .map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'number' ? 'a finite number' : `a ${t}`))
        .join(' or ');
      return new SpecIssue(segments, `expected ${wanted}, got ${typeName(actual)}`);
    }
    case 'enum': {
      const options = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof actual === 'string' ? didYouMean(actual, (p.allowedValues as unknown[]).map(String)) : '';
      return new SpecIssue(segments, `expected one of ${options.join(', ')}, got ${typeName(actual)}${hint}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '≥', maximum: '≤', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      return new SpecIssue(segments, `expected a value ${op} ${String(p.limit)}, got ${String(actual)}`);
    }
    case 'minItems':
      return new SpecIssue(segments, `expected at least ${String(p.limit)} value, got an empty list`);
    case 'maxItems':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} values, got ${(actual as unknown[]).length}`);
    case 'maxProperties':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} entries, got ${Object.keys(actual as object).length}`);
    case 'minLength':
      return new SpecIssue(segments, 'must not be empty');
    case 'maxLength':
      return new SpecIssue(segments, `expected at most ${String(p.limit)} characters, got ${(actual as string).length}`);
    case 'pattern':
      return new SpecIssue(segments, `expected letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${typeName(actual)}`);
    default:
      return new SpecIssue(segments, error.message ?? 'is not valid');
  }
}

type RawParam = {
  value?: ParamValue;
  values?: ParamValue[];
  probabilities?: number[];
  distribution?: Distribution['type'];
  min?: number;
  max?: number;
  q?: number;
};

function toDistribution(name: string, raw: RawParam, writtenAsFloat: (segments: Segment[]) => boolean = () => false): Distribution {
  const at = (key?: string): Segment[] => (key ? ['parameters', name, key] : ['parameters', name]);
  const has = (key: keyof RawParam): boolean => raw[key] !== undefined;
  const forbid = (keys: Array<keyof RawParam>, why: string): void => {
    for (const key of keys) if (has(key)) throw new SpecIssue(at(key), `not allowed here: ${why}`);
  };
  const type: Distribution['type'] | undefined =
    raw.distribution ??
    (has('value')
      ? 'constant'
      : has('values')
        ? 'categorical'
        : has('min') || has('max')
          ? Number.isInteger(raw.min) && Number.isInteger(raw.max) && !writtenAsFloat(at('min')) && !writtenAsFloat(at('max'))
            ? 'int_uniform'
            : has('q')
              ? 'q_uniform'
              : 'uniform'
          : undefined);
  if (!type) throw new SpecIssue(at(), 'expected {value}, {values[, probabilities]} or {min, max[, distribution, q]}');

  if (type === 'constant') {
    forbid(['values', 'probabilities', 'min', 'max', 'q'], 'a constant takes only "value"');
    if (!has('value')) throw new SpecIssue(at('value'), 'is required for a constant');
    return { type, value: raw.value! };
  }
  if (type === 'categorical') {
    forbid(['value', 'min', 'max', 'q'], 'a categorical parameter takes "values" and optionally "probabilities"');
    if (!has('values')) throw new SpecIssue(at('values'), 'is required for a categorical parameter');
    const values = raw.values!;
    if (!raw.probabilities) return { type, values };
    const probs = raw.probabilities;
    if (probs.length !== values.length) {
      throw new SpecIssue(at('probabilities'), `expected ${values.length} probabilities (one per value), got ${probs.length}`);
    }
    const sum = probs.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-6) throw new SpecIssue(at('probabilities'), `expected probabilities that sum to 1, got a sum of ${sum}`);
    return { type, values, probabilities: probs };
  }

  forbid(['value', 'values', 'probabilities'], `a ${type} parameter takes "min", "max"${type.startsWith('q') || type === 'int_uniform' ? ' and "q"' : ''}`);
  if (!has('min')) throw new SpecIssue(at('min'), `is required for a ${type} parameter`);
  if (!has('max')) throw new SpecIssue(at('max'), `is required for a ${type} parameter`);
  const min = raw.min!;
  const max = raw.max!;
  if (min > max) throw new SpecIssue(at('min'), `expected min ≤ max, got min ${min} > max ${max}`);
  // Every value drawn must be a finite number: a range whose width overflows draws infinities.
  if (!Number.isFinite(max - min)) throw new SpecIssue(at('max'), `the range [${min}, ${max}] is wider than a double can hold; narrow it`);
  if (type === 'log_uniform_values' || type === 'q_log_uniform_values') {
    if (min <= 0) throw new SpecIssue(at('min'), `expected a value > 0 for a log scale, got ${min}`);
  }
  if (type === 'log_uniform') {
    // W&B's log_uniform bounds are natural logs: e^x is 0 below about -745 and infinite above about 709.
    if (min < LOG_BOUND_MIN) throw new SpecIssue(at('min'), `expected a natural log ≥ ${LOG_BOUND_MIN} (e^min underflows to 0 below it), got ${min}; log_uniform_values takes the values themselves`);
    if (max > LOG_BOUND_MAX) throw new SpecIssue(at('max'), `expected a natural log ≤ ${LOG_BOUND_MAX} (e^max overflows to infinity above it), got ${max}; log_uniform_values takes the values themselves`);
  }
  if (type === 'int_uniform') {
    if (!Number.isInteger(min)) throw new SpecIssue(at('min'), `expected an integer for int_uniform, got ${min}`);
    if (!Number.isInteger(max)) throw new SpecIssue(at('max'), `expected an integer for int_uniform, got ${max}`);
    if (!Number.isSafeInteger(min)) throw new SpecIssue(at('min'), `expected an integer within ±${Number.MAX_SAFE_INTEGER}, got ${min}`);
    if (!Number.isSafeInteger(max)) throw new SpecIssue(at('max'), `expected an integer within ±${Number.MAX_SAFE_INTEGER}, got ${max}`);
    const q = raw.q ?? 1;
    if (!Number.isInteger(q)) throw new SpecIssue(at('q'), `expected an integer step for int_uniform, got ${q}`);
    return { type, min, max, q };
  }
  if (type === 'q_uniform' || type === 'q_log_uniform_values') {
    const q = raw.q ?? 1;
    if (!Number.isFinite(max / q) || !Number.isFinite(min / q) || (max - min) / q > Number.MAX_SAFE_INTEGER) {
      throw new SpecIssue(at('q'), `q=${q} is too small for the range [${min}, ${max}]: more than ${Number.MAX_SAFE_INTEGER} steps`);
    }
    if (Math.ceil(min / q - 1e-9) > Math.floor(max / q + 1e-9)) {
      throw new SpecIssue(at('q'), `no multiple of q=${q} lies in [${min}, ${max}]`);
    }
    return { type, min, max, q };
  }
  forbid(['q'], `q applies to q_uniform, q_log_uniform_values and int_uniform, not ${type}`);
  return { type, min, max };
}

/** A grid without run_cap runs every configuration: beyond this many it would not finish. */
export const MAX_GRID_WITHOUT_CAP = 1_000_000;

/** Grid indices are exact doubles: the product of the axes must stay below 2^53, and be finite work. */
function checkGridSize(parameters: Record<string, Distribution>, runCap: number | undefined): void {
  const lengths = Object.entries(parameters).map(([name, dist]) => [name, axisOf(dist).length] as const);
  const size = lengths.reduce((n, [, len]) => n * len, 1);
  const shape = lengths.map(([name, len]) => `${name} ${len}`).join(' × ');
  if (size > Number.MAX_SAFE_INTEGER) {
    throw new SpecIssue(['parameters'], `the grid has ${size.toExponential(2)} configurations (${shape}), more than tfsweep can number; narrow the ranges or use method "random"`);
  }
  if (runCap === undefined && size > MAX_GRID_WITHOUT_CAP) {
    throw new SpecIssue(
      ['parameters'],
      `the grid has ${size} configurations (${shape}) and no run_cap; at most ${MAX_GRID_WITHOUT_CAP} run without one: set run_cap, narrow the ranges or use method "random"`,
    );
  }
}

const LOG_BOUND_MIN = -745;
const LOG_BOUND_MAX = 709;

function checkKnobDomain(name: string, dist: Distribution): void {
  const at = (...rest: Segment[]): Segment[] => ['parameters', name, ...rest];
  const def = knobDef(name)!;
  const check = (segments: Segment[], value: ParamValue): void => {
    const problem = knobProblem(name, value);
    if (problem) throw new SpecIssue(segments, problem);
  };
  switch (dist.type) {
    case 'constant':
      return check(at('value'), dist.value);
    case 'categorical':
      return dist.values.forEach((v, i) => check(at('values', i), v));
    default:
      if (def.kind === 'enum') throw new SpecIssue(at(), `"${name}" takes one of ${def.values.join(', ')}: give "values", not a range`);
      if (def.kind === 'bool') throw new SpecIssue(at(), `"${name}" takes true or false: give "values", not a range`);
      if (def.kind === 'string') throw new SpecIssue(at(), `"${name}" takes text: give "values", not a range`);
      if (def.kind === 'int' && (dist.type === 'uniform' || dist.type === 'log_uniform' || dist.type === 'log_uniform_values')) {
        throw new SpecIssue(at('distribution'), `"${name}" takes integers; use int_uniform or a q_ distribution, not ${dist.type}`);
      }
      if (def.kind === 'int' && 'q' in dist && !Number.isInteger(dist.q)) {
        throw new SpecIssue(at('q'), `"${name}" takes integers, so q must be an integer, got ${dist.q}`);
      }
      if (dist.type === 'log_uniform') {
        check(at('min'), Math.exp(dist.min));
        check(at('max'), Math.exp(dist.max));
      } else {
        check(at('min'), dist.min);
        check(at('max'), dist.max);
      }
  }
}

export interface ValidateContext {
  defaultName: string;
  /** Resolves `program:` (relative to the sweep file) to an absolute path, or says why it cannot. */
  resolveProgram: (program: string) => string;
  /** Resolves a dataset path (relative to the sweep file) to an absolute one that exists, or says why not. */
  resolvePath?: (relative: string) => string;
  /** Whether the number at this path was written as a float (1.0, 1e-3): JSON numbers cannot tell 1.0 from 1. */
  writtenAsFloat?: (segments: Segment[]) => boolean;
}

export function validateSpec(raw: unknown, context: ValidateContext, warnings: string[] = []): SweepSpec {
  const { defaultName } = context;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecIssue([], `expected a mapping of sweep settings at the top level, got ${typeName(raw)}`);
  }
  raw = expandEarlyStopping(raw as Record<string, unknown>);
  if (!checkShape(raw)) {
    // A misspelt key also makes the intended key "missing": report the misspelling, which names the fix.
    const errors = checkShape.errors!;
    throw issueFromAjv(errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0]!, raw);
  }
  const doc = raw as Record<string, unknown> & {
    method: string;
    parameters: Record<string, RawParam>;
    metric?: { name: string; goal?: 'maximize' | 'minimize' };
    train?: Record<string, unknown>;
  };
  const program = doc.program === undefined ? null : resolveProgramAt(doc.program as string, context);
  if (program !== null && doc.train !== undefined) {
    throw new SpecIssue(['train'], 'a sweep with a "program" takes no "train" block: the program trains (or computes) what it likes');
  }
  if (program !== null && (doc.executions_per_trial as number | undefined) !== undefined && (doc.executions_per_trial as number) > 1) {
    throw new SpecIssue(['executions_per_trial'], 'applies to the built-in trainer; a program can repeat its own training');
  }
  if (doc.bayes !== undefined && doc.method !== 'bayes') throw new SpecIssue(['bayes'], `applies to method "bayes" only, not "${doc.method}"`);

  const train = defaultTrainConfig();
  for (const [key, value] of Object.entries(doc.train ?? {})) {
    const problem = knobProblem(key, value as ParamValue);
    if (problem) throw new SpecIssue(['train', key], problem);
    (train as unknown as Record<string, unknown>)[key] = value;
  }
  const datasetPath = /^(idx|csv):(.+)$/.exec(train.dataset);
  if (datasetPath && context.resolvePath) {
    try {
      train.dataset = `${datasetPath[1]}:${context.resolvePath(datasetPath[2]!)}`;
    } catch (err) {
      throw new SpecIssue(['train', 'dataset'], (err as Error).message);
    }
  }

  const parameters: Record<string, Distribution> = {};
  const names = Object.keys(doc.parameters);
  if (names.length === 0) throw new SpecIssue(['parameters'], 'expected at least one parameter to search');
  for (const name of names) {
    if (program !== null) {
      parameters[name] = toDistribution(name, doc.parameters[name]!, context.writtenAsFloat);
      continue;
    }
    if (name === 'dataset') throw new SpecIssue(['parameters', name], 'the dataset cannot be searched over: set it in the train block, one per sweep');
    if (!knobDef(name)) {
      throw new SpecIssue(
        ['parameters', name],
        `unknown parameter "${name}" for the built-in trainer${didYouMean(name, KNOB_NAMES)} (known: ${KNOB_NAMES.join(', ')})`,
      );
    }
    const dist = toDistribution(name, doc.parameters[name]!, context.writtenAsFloat);
    checkKnobDomain(name, dist);
    parameters[name] = dist;
  }
  if (program === null) checkApplicability(train, parameters, Object.keys(doc.train ?? {}));

  const method = doc.method as SweepSpec['method'];
  if (method === 'grid') {
    for (const [name, dist] of Object.entries(parameters)) {
      if (!isDiscrete(dist)) {
        throw new SpecIssue(
          ['parameters', name, 'distribution'],
          `grid search needs discrete values, but "${name}" is ${dist.type}; give "values", use int_uniform/q_uniform, or use method "random"`,
        );
      }
    }
    checkGridSize(parameters, doc.run_cap as number | undefined);
  } else if (doc.run_cap === undefined) {
    throw new SpecIssue(['run_cap'], `is required for method "${method}" (the number of completed trials to run)`);
  }

  const metric =
    program !== null
      ? ({ name: doc.metric?.name ?? 'value', goal: doc.metric?.goal ?? 'minimize' } as const)
      : ({ name: doc.metric?.name ?? 'val_accuracy', goal: doc.metric ? (doc.metric.goal ?? 'minimize') : 'maximize' } as const);
  if (program === null && !(TRAIN_METRICS as readonly string[]).includes(metric.name)) {
    throw new SpecIssue(['metric', 'name'], `expected one of ${TRAIN_METRICS.join(', ')} (what the built-in trainer reports), got "${metric.name}"${didYouMean(metric.name, TRAIN_METRICS)}`);
  }
  if (doc.metric && doc.metric.goal === undefined && /acc/.test(metric.name)) {
    warnings.push(`metric.goal: not given, so "${metric.name}" is minimized (the W&B default); add "goal: maximize" if higher is better`);
  }

  if (doc.name === undefined) checkDefaultName(defaultName);
  const pruner = toPruner(doc.pruner as Record<string, unknown> | undefined, doc.early_terminate as Record<string, unknown> | undefined);
  let maxTime: number | null = null;
  if (doc.max_time !== undefined) {
    const parsed = parseDuration(doc.max_time);
    if (typeof parsed === 'string') throw new SpecIssue(['max_time'], parsed);
    maxTime = parsed;
  }
  const target = (doc.metric as { target?: number } | undefined)?.target;

  return {
    name: (doc.name as string | undefined) ?? defaultName,
    ...(doc.description !== undefined ? { description: doc.description as string } : {}),
    method,
    metric: target === undefined ? metric : { ...metric, target },
    run_cap: (doc.run_cap as number | undefined) ?? null,
    // bayes.seed (Optuna's TPESampler(seed=…)) is the same thing as the sweep's seed.
    seed: (doc.seed as number | undefined) ?? ((doc.bayes as { seed?: number } | undefined)?.seed ?? freshSeed()),
    seed_given: doc.seed !== undefined || (doc.bayes as { seed?: number } | undefined)?.seed !== undefined,
    workers: (doc.workers as number | undefined) ?? null,
    max_consecutive_failures: (doc.max_consecutive_failures as number | undefined) ?? 5,
    executions_per_trial: (doc.executions_per_trial as number | undefined) ?? 1,
    save_models: (doc.save_models as number | undefined) ?? null,
    parameters,
    train,
    program,
    bayes: method === 'bayes' ? ({ ...TPE_DEFAULTS, ...(doc.bayes as Partial<TpeSettings> | undefined) } as TpeSettings) : null,
    ...(pruner ? { pruner } : {}),
    ...(maxTime !== null ? { max_time: maxTime } : {}),
  };
}

/**
 * A sweep without `name:` is named after its file. That name obeys the same rule as an explicit one: it
 * becomes the folder the sweep's models are saved in, so `...yaml` must not name the folder `..`.
 */
function checkDefaultName(name: string): void {
  const rule = `letters, digits, ".", "_" or "-", starting with a letter or digit, at most ${NAME_MAX_LENGTH} characters`;
  if (name.length > NAME_MAX_LENGTH || !new RegExp(NAME_PATTERN).test(name)) {
    throw new SpecIssue(
      ['name'],
      `is not given, and the file name ${clip(JSON.stringify(name), 60)} is not a valid sweep name (${rule}); add "name: …" to the file`,
    );
  }
}

const EARLY_STOPPING_KEYS = ['monitor', 'patience', 'min_delta', 'restore_best_weights'];

/**
 * `train: {early_stopping: {monitor, patience, min_delta, restore_best_weights}}` (Keras' shape) is read as
 * `early_stopping: true` plus those four settings, which is also how a sweep searches over them.
 */
function expandEarlyStopping(doc: Record<string, unknown>): Record<string, unknown> {
  const train = doc.train as Record<string, unknown> | undefined;
  const es = train?.early_stopping;
  if (!es || typeof es !== 'object' || Array.isArray(es)) return doc;
  for (const key of Object.keys(es)) {
    if (!EARLY_STOPPING_KEYS.includes(key)) {
      throw new SpecIssue(['train', 'early_stopping', key], `unknown key "${key}"${didYouMean(key, EARLY_STOPPING_KEYS)} (allowed: ${EARLY_STOPPING_KEYS.join(', ')})`);
    }
    if (key in train!) throw new SpecIssue(['train', key], `set both here and in train.early_stopping.${key}: keep one`);
  }
  return { ...doc, train: { ...train, ...(es as Record<string, unknown>), early_stopping: true } };
}

/** The values a setting can take in this sweep: its parameter's values, or the train block's one value. */
function possibleValues(name: string, train: TrainConfig, parameters: Record<string, Distribution>): ParamValue[] {
  const dist = parameters[name];
  if (!dist) return [(train as unknown as Record<string, ParamValue>)[name]!];
  if (dist.type === 'constant') return [dist.value];
  if (dist.type === 'categorical') return dist.values;
  return 'max' in dist ? [dist.max] : [];
}

/**
 * A setting that does nothing in this sweep is an error naming it: a cnn knob on an mlp, momentum with adam,
 * units_3 with two layers.
 */
function checkApplicability(train: TrainConfig, parameters: Record<string, Distribution>, trainKeys: string[]): void {
  const models = possibleValues('model', train, parameters) as string[];
  const optimizers = possibleValues('optimizer', train, parameters) as string[];
  const maxOf = (name: string): number => Math.max(...(possibleValues(name, train, parameters) as number[]));
  const places: Segment[][] = [...trainKeys.map((k) => ['train', k]), ...Object.keys(parameters).map((k) => ['parameters', k])];
  for (const place of places) {
    const name = place[1] as string;
    const def = knobDef(name)!;
    if (def.models && !models.some((m) => (def.models as readonly string[]).includes(m))) {
      throw new SpecIssue(place, `"${name}" applies to model ${def.models.join(' or ')}, and this sweep trains ${models.join(' or ')}`);
    }
    const noOp = place[0] === 'train' && (train as unknown as Record<string, unknown>)[name] === 0;
    if (def.optimizers && !noOp && !optimizers.some((o) => def.optimizers!.includes(o))) {
      throw new SpecIssue(place, `"${name}" applies to optimizer ${def.optimizers.join(' or ')}, and this sweep uses ${optimizers.join(' or ')}`);
    }
    const indexed = INDEXED_PATTERN.exec(name);
    if (indexed) {
      const [count, what] = indexed[1] === 'filters' ? [maxOf('conv_blocks'), 'conv block'] : [maxOf('layers'), 'layer'];
      if (Number(indexed[2]) > count) throw new SpecIssue(place, `there is no ${what} ${indexed[2]}: at most ${count} in this sweep`);
    }
  }
}

function resolveProgramAt(program: string, context: ValidateContext): string {
  try {
    return context.resolveProgram(program);
  } catch (err) {
    throw new SpecIssue(['program'], (err as Error).message);
  }
}

/**
 * `pruner:` with Optuna's defaults filled in, or W&B's `early_terminate:` (never both). Each type takes only
 * its own keys; a key of another type is named as such.
 */
function toPruner(raw: Record<string, unknown> | undefined, wandb: Record<string, unknown> | undefined): PrunerSpec | null {
  if (raw && wandb) throw new SpecIssue(['early_terminate'], 'give "pruner" or W&B\'s "early_terminate", not both: they decide the same thing');
  if (wandb) {
    const has = (k: string): boolean => wandb[k] !== undefined;
    if (!has('min_iter') && !has('max_iter')) throw new SpecIssue(['early_terminate'], 'expected "min_iter", or "max_iter" with "s" (W&B\'s hyperband bands)');
    if (has('max_iter') && !has('s')) throw new SpecIssue(['early_terminate', 's'], 'is required with "max_iter" (the number of bands below max_iter)');
    const eta = (wandb.eta as number | undefined) ?? 3;
    const settings = {
      ...(has('max_iter') ? { max_iter: wandb.max_iter as number, s: wandb.s as number } : { min_iter: wandb.min_iter as number }),
      eta,
      strict: (wandb.strict as boolean | undefined) ?? true,
    };
    if (has('max_iter') && (wandb.max_iter as number) / eta < 1) {
      throw new SpecIssue(['early_terminate', 'max_iter'], `max_iter ${String(wandb.max_iter)} / eta ${eta} is below 1: no band; raise max_iter or lower eta`);
    }
    return { type: 'wandb_hyperband', ...settings };
  }
  if (!raw) return null;
  const type = raw.type as keyof typeof PRUNER_KEYS;
  const allowed = PRUNER_KEYS[type];
  for (const key of Object.keys(raw)) {
    if (key === 'type' || allowed.includes(key)) continue;
    const owners = Object.entries(PRUNER_KEYS).filter(([, keys]) => keys.includes(key)).map(([t]) => t);
    throw new SpecIssue(['pruner', key], `does not apply to the ${type} pruner (it is a setting of ${owners.join(', ')}); ${type} takes ${allowed.length ? allowed.join(', ') : 'no settings'}`);
  }
  const int = (key: string, fallback: number): number => (raw[key] as number | undefined) ?? fallback;
  const autoOrInt = (key: string, fallback: number | 'auto'): number | 'auto' => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (v === 'auto' || (typeof v === 'number' && Number.isInteger(v) && v >= 1)) return v;
    throw new SpecIssue(['pruner', key], `expected an integer ≥ 1 or "auto", got ${typeName(v)}`);
  };
  switch (type) {
    case 'none':
      return { type };
    case 'median':
    case 'percentile': {
      if (type === 'percentile' && raw.percentile === undefined) throw new SpecIssue(['pruner', 'percentile'], 'is required for the percentile pruner (e.g. 25: keep the top 25%)');
      return {
        type,
        percentile: type === 'median' ? 50 : (raw.percentile as number),
        n_startup_trials: int('n_startup_trials', 5),
        n_warmup_steps: int('n_warmup_steps', 0),
        interval_steps: int('interval_steps', 1),
        n_min_trials: int('n_min_trials', 1),
      };
    }
    case 'successive_halving': {
      const min_resource = autoOrInt('min_resource', 'auto');
      if (min_resource === 'auto' && int('bootstrap_count', 0) > 0) throw new SpecIssue(['pruner', 'bootstrap_count'], 'needs a numeric min_resource (Optuna refuses bootstrap_count with min_resource "auto")');
      return { type, min_resource, reduction_factor: int('reduction_factor', 4), min_early_stopping_rate: int('min_early_stopping_rate', 0), bootstrap_count: int('bootstrap_count', 0) };
    }
    case 'hyperband': {
      const min_resource = autoOrInt('min_resource', 1);
      if (min_resource === 'auto') throw new SpecIssue(['pruner', 'min_resource'], 'expected an integer ≥ 1 for hyperband (its default is 1)');
      const max_resource = autoOrInt('max_resource', 'auto');
      if (max_resource === 'auto' && int('bootstrap_count', 0) > 0) throw new SpecIssue(['pruner', 'bootstrap_count'], 'needs a numeric max_resource (Optuna refuses bootstrap_count with max_resource "auto")');
      if (max_resource !== 'auto' && max_resource < min_resource) throw new SpecIssue(['pruner', 'max_resource'], `expected max_resource ≥ min_resource (${min_resource}), got ${max_resource}`);
      return { type, min_resource, max_resource, reduction_factor: int('reduction_factor', 3), bootstrap_count: int('bootstrap_count', 0) };
    }
    case 'threshold': {
      const lower = (raw.lower as number | undefined) ?? null;
      const upper = (raw.upper as number | undefined) ?? null;
      if (lower === null && upper === null) throw new SpecIssue(['pruner'], 'the threshold pruner needs "lower", "upper" or both');
      if (lower !== null && upper !== null && lower > upper) throw new SpecIssue(['pruner', 'lower'], `expected lower ≤ upper, got lower ${lower} > upper ${upper}`);
      return { type, lower, upper, n_warmup_steps: int('n_warmup_steps', 0), interval_steps: int('interval_steps', 1) };
    }
  }
}
