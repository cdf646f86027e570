/**
 * The `parameters:` block: each entry as a distribution (W&B's shapes), and, for the built-in trainer, each
 * parameter checked against the knob it sets (its domain, and whether it does anything in this sweep).
 */
import { extremesOf, isQuantileDistribution, type Distribution, type ParamValue } from '../space/distributions.js';
import type { Condition, Conditions } from '../core/params.js';
import { INDEXED_PATTERN, knobDef, knobProblem, type TrainConfig } from '../trainer/knobs.js';
import { SpecIssue, type Segment } from './issues.js';

export type RawParam = {
  value?: ParamValue;
  values?: ParamValue[];
  probabilities?: number[];
  distribution?: Distribution['type'];
  min?: number;
  max?: number;
  q?: number;
  mu?: number;
  sigma?: number;
  a?: number;
  b?: number;
  /** The parameter's conditions (sweep-file/conditions.ts reads them). */
  when?: Record<string, unknown>;
};

export function toDistribution(name: string, raw: RawParam, writtenAsFloat: (segments: Segment[]) => boolean = () => false): Distribution {
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
  if (type === 'normal' || type === 'q_normal' || type === 'log_normal' || type === 'q_log_normal' || type === 'beta' || type === 'q_beta') return quantileDistribution(type, raw, at, forbid);
  forbid(['mu', 'sigma', 'a', 'b'], `mu and sigma apply to normal and log_normal, a and b to beta (and their q_ variants), not ${type}`);
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
  if (type === 'inv_log_uniform_values' && min <= 0) throw new SpecIssue(at('min'), `expected a value > 0 for a log scale, got ${min}`);
  if (type === 'inv_log_uniform') {
    // The bounds are natural logs of 1/X: X = e^−y underflows to 0 above about 745 and overflows below about −709.
    if (max > -LOG_BOUND_MIN) throw new SpecIssue(at('max'), `expected a natural log ≤ ${-LOG_BOUND_MIN} (e^−max underflows to 0 above it), got ${max}; inv_log_uniform_values takes the values themselves`);
    if (min < -LOG_BOUND_MAX) throw new SpecIssue(at('min'), `expected a natural log ≥ ${-LOG_BOUND_MAX} (e^−min overflows to infinity below it), got ${min}; inv_log_uniform_values takes the values themselves`);
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

/** normal, log_normal and beta (and their q_ variants): W&B's defaults (mu 0, sigma 1, a 1, b 1, q 1) and checks. */
function quantileDistribution(
  type: 'normal' | 'q_normal' | 'log_normal' | 'q_log_normal' | 'beta' | 'q_beta',
  raw: RawParam,
  at: (key?: string) => Segment[],
  forbid: (keys: Array<keyof RawParam>, why: string) => void,
): Distribution {
  const quantized = type.startsWith('q_');
  forbid(['value', 'values', 'probabilities', 'min', 'max'], `a ${type} parameter takes ${type.endsWith('beta') ? '"a" and "b"' : '"mu" and "sigma"'}${quantized ? ' and "q"' : ''}`);
  if (!quantized) forbid(['q'], `q applies to the q_ distributions, not ${type}`);
  const q = raw.q ?? 1;
  if (type === 'beta' || type === 'q_beta') {
    forbid(['mu', 'sigma'], `a ${type} parameter takes "a" and "b"`);
    const a = raw.a ?? 1;
    const b = raw.b ?? 1;
    // W&B's schema allows 0, where the beta distribution does not exist (scipy's quantiles are NaN).
    if (!(a > 0)) throw new SpecIssue(at('a'), `expected a > 0, got ${a}`);
    if (!(b > 0)) throw new SpecIssue(at('b'), `expected b > 0, got ${b}`);
    return type === 'beta' ? { type, a, b } : { type, a, b, q };
  }
  forbid(['a', 'b'], `a ${type} parameter takes "mu" and "sigma"`);
  const mu = raw.mu ?? 0;
  const sigma = raw.sigma ?? 1;
  if (!(sigma >= 0)) throw new SpecIssue(at('sigma'), `expected sigma ≥ 0, got ${sigma}`);
  if ((type === 'log_normal' || type === 'q_log_normal') && mu + 7.1 * sigma > LOG_BOUND_MAX) {
    throw new SpecIssue(at('mu'), `e^(mu + 7·sigma) overflows to infinity: expected mu + 7.1·sigma ≤ ${LOG_BOUND_MAX}, got ${mu + 7.1 * sigma}`);
  }
  switch (type) {
    case 'normal':
    case 'log_normal':
      return { type, mu, sigma };
    default:
      return { type, mu, sigma, q };
  }
}

const LOG_BOUND_MIN = -745;
const LOG_BOUND_MAX = 709;

export function checkKnobDomain(name: string, dist: Distribution): void {
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
      if (def.kind === 'int' && !('q' in dist)) {
        throw new SpecIssue(at('distribution'), `"${name}" takes integers; use int_uniform or a q_ distribution, not ${dist.type}`);
      }
      if (def.kind === 'int' && 'q' in dist && !Number.isInteger(dist.q)) {
        throw new SpecIssue(at('q'), `"${name}" takes integers, so q must be an integer, got ${dist.q}`);
      }
      if (isQuantileDistribution(dist)) {
        // The extremes a draw can reach (quantiles 1e-12 and 1 − 1e-12, rounded to q): both must be valid.
        const [lowest, highest] = extremesOf(dist)!;
        const where = dist.type.endsWith('beta') ? at('a') : at('mu');
        for (const [edge, value] of [['lowest', lowest], ['highest', highest]] as const) {
          const problem = knobProblem(name, value);
          if (problem) throw new SpecIssue(where, `its ${edge} draws are invalid for "${name}": ${problem}`);
        }
      } else if (dist.type === 'log_uniform') {
        check(at('min'), Math.exp(dist.min));
        check(at('max'), Math.exp(dist.max));
      } else if (dist.type === 'inv_log_uniform') {
        check(at('max'), Math.exp(-dist.max));
        check(at('min'), Math.exp(-dist.min));
      } else {
        check(at('min'), dist.min);
        check(at('max'), dist.max);
      }
  }
}

/** The values a setting can take in this sweep: its parameter's values, or the train block's one value. */
function possibleValues(name: string, train: TrainConfig, parameters: Record<string, Distribution>): ParamValue[] {
  const dist = parameters[name];
  if (!dist) return [(train as unknown as Record<string, ParamValue>)[name]!];
  if (dist.type === 'constant') return [dist.value];
  if (dist.type === 'categorical') return dist.values;
  const extremes = extremesOf(dist);
  return extremes ? [extremes[1]] : [];
}

/**
 * A setting that does nothing in this sweep is an error naming it: a cnn knob on an mlp, momentum with adam,
 * units_3 with two layers.
 */
export function checkApplicability(train: TrainConfig, parameters: Record<string, Distribution>, trainKeys: string[]): void {
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

/**
 * The built-in trainer's own conditions on searched settings, where the setting they depend on is searched
 * too: `units_N`/`dropout_N` act only with `layers` ≥ N, `filters_N` with `conv_blocks` ≥ N, `momentum` only
 * with sgd or rmsprop, the CNN settings only with `model: cnn`. A condition the file writes itself wins.
 */
export function impliedConditions(parameters: Record<string, Distribution>): Conditions {
  const implied: Conditions = {};
  const add = (name: string, parent: string, condition: Condition): void => {
    if (!(parent in parameters) || parent === name) return;
    (implied[name] ??= {})[parent] = condition;
  };
  for (const name of Object.keys(parameters)) {
    const def = knobDef(name);
    if (!def) continue;
    const indexed = INDEXED_PATTERN.exec(name);
    if (indexed) add(name, indexed[1] === 'filters' ? 'conv_blocks' : 'layers', { min: Number(indexed[2]) });
    if (def.optimizers) add(name, 'optimizer', { values: [...def.optimizers] });
    if (def.models) add(name, 'model', { values: [...def.models] });
    // A plain `units` or `dropout` sets every layer: it acts whenever there is one.
    if ((name === 'units' || name === 'dropout') && 'layers' in parameters) add(name, 'layers', { min: 1 });
  }
  return implied;
}
