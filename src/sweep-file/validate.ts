/**
 * Turns a parsed sweep document into a SweepSpec, or throws a SpecIssue naming the field (as path segments)
 * and what was expected. load.ts adds the file name and line number. The blocks plug-ins own (the method's
 * settings, `pruner:`, `early_terminate:`) are read through their registries (plugins.ts); `parameters:`
 * in parameters.ts.
 */
import { Ajv } from 'ajv';
import type { Distribution, ParamValue } from '../space/distributions.js';
import { freshSeed } from '../space/rng.js';
import { KNOB_NAMES, TRAIN_METRICS, defaultTrainConfig, knobDef, knobProblem, type TrainConfig } from '../trainer/knobs.js';
import { NAME_MAX_LENGTH, NAME_PATTERN, PARAMETER_KEYS, TOP_LEVEL_KEYS, sweepSchema } from './schema.js';
import { parseDuration } from './duration.js';
import { clip } from '../core/text.js';
import type { ConstraintSpec, MetricSpec } from '../core/metric.js';
import { SpecIssue, didYouMean, issueFromAjv, typeName, type Segment } from './issues.js';
import { checkApplicability, checkKnobDomain, impliedConditions, toDistribution, type RawParam } from './parameters.js';
import { conditionsOf, mergeConditions, refuseCycles } from './conditions.js';
import { flattenParameters } from './nested.js';
import { configurationProblem } from '../space/configuration.js';
import type { Conditions } from '../core/params.js';

/** Where checkedShape leaves the dotted names that came from nested blocks. */
const NESTED = Symbol('nested parameters');
import { checkSpace, samplerBlocks, toPruner } from './plugins.js';
import { samplerPlugin } from '../samplers/registry.js';
import type { SweepSpec } from './types.js';

export { SpecIssue, formatPath, type Segment } from './issues.js';
export { MAX_GRID_WITHOUT_CAP } from '../samplers/grid.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const checkShape = ajv.compile(sweepSchema);

function keysAllowedAt(segments: readonly Segment[]): readonly string[] {
  if (segments.length === 0) return TOP_LEVEL_KEYS;
  if (segments[0] === 'metric' || (segments[0] === 'metrics' && segments.length === 2)) return ['name', 'goal', 'target'];
  if (segments[0] === 'constraints' && segments.length === 2) return ['name', 'max', 'min'];
  if (segments[0] === 'train') return KNOB_NAMES;
  const sampler = typeof segments[0] === 'string' ? samplerPlugin(segments[0]) : undefined;
  if (sampler?.keys) return Object.keys(sampler.keys);
  if (segments[0] === 'parameters' && segments.length === 2) return PARAMETER_KEYS;
  return [];
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

/** A document that passed the schema: its keys and their types are known. */
type Doc = Record<string, unknown> & {
  method: string;
  parameters: Record<string, RawParam>;
  metric?: { name: string; goal?: 'maximize' | 'minimize'; target?: number };
  metrics?: Array<{ name: string; goal?: 'maximize' | 'minimize'; target?: number }>;
  constraints?: Array<{ name: string; max?: number; min?: number }>;
  train?: Record<string, unknown>;
  run_cap?: number;
  seed?: number;
};

export function validateSpec(raw: unknown, context: ValidateContext, warnings: string[] = []): SweepSpec {
  const doc = checkedShape(raw);
  const program = doc.program === undefined ? null : resolveProgramAt(doc.program as string, context);
  if (program !== null && doc.train !== undefined) {
    throw new SpecIssue(['train'], 'a sweep with a "program" takes no "train" block: the program trains (or computes) what it likes');
  }
  if (program !== null && (doc.executions_per_trial as number | undefined) !== undefined && (doc.executions_per_trial as number) > 1) {
    throw new SpecIssue(['executions_per_trial'], 'applies to the built-in trainer; a program can repeat its own training');
  }
  const command = commandOf(doc, program);
  const blocks = samplerBlocks(doc.method, doc);
  const train = trainBlock(doc, context);
  const parameters = parametersBlock(doc, program, context);
  const written = conditionsOf(doc.parameters as never, parameters);
  // The trainer's own conditions, under those the file writes (a written condition on the same parent wins).
  const implied = program === null ? impliedConditions(parameters) : {};
  const conditions = mergeConditions(implied, written);
  refuseCycles(conditions);
  if (program === null) checkApplicability(train, parameters, Object.keys(doc.train ?? {}));
  checkSpace(doc.method, parameters, doc.run_cap);
  const { metric, metrics, constraints } = objectivesBlock(doc, program, warnings);
  if ((metrics || constraints) && (blocks as { bayes?: { sampler?: string } | null }).bayes?.sampler === 'gp') {
    throw new SpecIssue(['bayes', 'sampler'], `the Gaussian process models one objective without constraints, and this sweep has ${metrics ? 'several objectives ("metrics:")' : 'constraints'}: use "tpe" or "auto" (which picks the TPE here)`);
  }
  if (doc.name === undefined) checkDefaultName(context.defaultName);
  const pruner = toPruner(doc.pruner as Record<string, unknown> | undefined, doc.early_terminate as Record<string, unknown> | undefined);
  const maxTime = maxTimeOf(doc);
  // A sampler block's seed (Optuna's TPESampler(seed=…)) is the same thing as the sweep's seed.
  const blockSeed = (doc[doc.method] as { seed?: number } | undefined)?.seed;
  return {
    name: (doc.name as string | undefined) ?? context.defaultName,
    ...(doc.description !== undefined ? { description: doc.description as string } : {}),
    method: doc.method as SweepSpec['method'],
    metric,
    ...(metrics ? { metrics } : {}),
    ...(constraints ? { constraints } : {}),
    run_cap: doc.run_cap ?? null,
    seed: doc.seed ?? blockSeed ?? freshSeed(),
    seed_given: doc.seed !== undefined || blockSeed !== undefined,
    workers: (doc.workers as number | undefined) ?? null,
    max_consecutive_failures: (doc.max_consecutive_failures as number | undefined) ?? 5,
    ...(doc.max_retries !== undefined ? { max_retries: doc.max_retries as number } : {}),
    ...(doc.checkpoints !== undefined ? { checkpoints: doc.checkpoints as boolean } : {}),
    ...(doc.enqueue !== undefined ? { enqueue: enqueueBlock(doc.enqueue as Array<Record<string, unknown>>, parameters, conditions) } : {}),
    executions_per_trial: (doc.executions_per_trial as number | undefined) ?? 1,
    save_models: (doc.save_models as number | undefined) ?? null,
    parameters,
    ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
    ...((doc as Record<symbol, unknown>)[NESTED] ? { nested: (doc as Record<symbol, unknown>)[NESTED] as string[] } : {}),
    train,
    program,
    ...(command ? { command } : {}),
    ...(doc.stop_grace !== undefined ? { stop_grace: doc.stop_grace as number } : {}),
    ...blocks,
    ...(pruner ? { pruner } : {}),
    ...(maxTime !== null ? { max_time: maxTime } : {}),
  };
}

/** The document, once its shape passed the schema (types, allowed keys, simple bounds). */
function checkedShape(raw: unknown): Doc {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SpecIssue([], `expected a mapping of sweep settings at the top level, got ${typeName(raw)}`);
  }
  const doc = { ...expandEarlyStopping(raw as Record<string, unknown>) };
  // W&B's nested blocks become dotted names before the schema sees them (sweep-file/nested.ts).
  const { parameters, nested } = flattenParameters(doc['parameters']);
  if (doc['parameters'] !== undefined) doc['parameters'] = parameters;
  if (nested.length) Object.defineProperty(doc, NESTED, { value: nested, enumerable: false });
  if (!checkShape(doc)) {
    // A misspelt key also makes the intended key "missing": report the misspelling, which names the fix.
    const errors = checkShape.errors!;
    throw issueFromAjv(errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0]!, doc, keysAllowedAt);
  }
  return doc as Doc;
}

/** The built-in trainer's settings: defaults, then the `train:` block; a dataset path made absolute. */
function trainBlock(doc: Doc, context: ValidateContext): TrainConfig {
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
  return train;
}

/** Each parameter's distribution; for the built-in trainer, each must be a knob it knows, within its domain. */
function parametersBlock(doc: Doc, program: string | null, context: ValidateContext): Record<string, Distribution> {
  const parameters: Record<string, Distribution> = {};
  const names = Object.keys(doc.parameters);
  if (names.length === 0) throw new SpecIssue(['parameters'], 'expected at least one parameter to search');
  for (const name of names) {
    if (program === null) {
      if (name === 'dataset') throw new SpecIssue(['parameters', name], 'the dataset cannot be searched over: set it in the train block, one per sweep');
      if (!knobDef(name)) {
        throw new SpecIssue(['parameters', name], `unknown parameter "${name}" for the built-in trainer${didYouMean(name, KNOB_NAMES)} (known: ${KNOB_NAMES.join(', ')})`);
      }
    }
    const dist = toDistribution(name, doc.parameters[name]!, context.writtenAsFloat);
    if (program === null) checkKnobDomain(name, dist);
    parameters[name] = dist;
  }
  return parameters;
}

/** The metric with its defaults: the trainer's val_accuracy (maximized), or a program's `value` (minimized, as W&B). */
function metricOf(doc: Doc, program: string | null, warnings: string[]): MetricSpec {
  const metric: MetricSpec =
    program !== null
      ? { name: doc.metric?.name ?? 'value', goal: doc.metric?.goal ?? 'minimize' }
      : { name: doc.metric?.name ?? 'val_accuracy', goal: doc.metric ? (doc.metric.goal ?? 'minimize') : 'maximize' };
  checkTrainMetric(program, metric.name, ['metric', 'name']);
  if (doc.metric && doc.metric.goal === undefined && /acc/.test(metric.name)) {
    warnings.push(`metric.goal: not given, so "${metric.name}" is minimized (the W&B default); add "goal: maximize" if higher is better`);
  }
  const target = doc.metric?.target;
  return target === undefined ? metric : { ...metric, target };
}

/** The built-in trainer reports a fixed set of metrics: an objective or a constraint must be one of them. */
function checkTrainMetric(program: string | null, name: string, at: Segment[]): void {
  if (program === null && !(TRAIN_METRICS as readonly string[]).includes(name)) {
    throw new SpecIssue(at, `expected one of ${TRAIN_METRICS.join(', ')} (what the built-in trainer reports), got "${name}"${didYouMean(name, TRAIN_METRICS)}`);
  }
}

/**
 * `metric:` (one objective) or W&B's `metrics:` (two or more: a Pareto front), and `constraints:`. What only
 * makes sense with one objective is refused with several, where the file says it.
 */
function objectivesBlock(doc: Doc, program: string | null, warnings: string[]): { metric: MetricSpec; metrics?: MetricSpec[]; constraints?: ConstraintSpec[] } {
  const constraints = constraintsOf(doc, program);
  if (constraints && doc.metric?.target !== undefined) {
    throw new SpecIssue(['metric', 'target'], 'a target ends the sweep at the first value reaching it, which may not meet the constraints: with "constraints:", leave the target out and set run_cap or max_time');
  }
  if (doc.metrics === undefined) return { metric: metricOf(doc, program, warnings), ...(constraints ? { constraints } : {}) };
  if (doc.metric !== undefined) throw new SpecIssue(['metrics'], 'give either "metric" (one objective) or "metrics" (several, for a Pareto front), not both');
  if (doc.metrics.length < 2) throw new SpecIssue(['metrics'], `expected two or more objectives, got ${doc.metrics.length}; for one, write "metric: {name: ${doc.metrics[0]!.name}, goal: …}"`);
  const seen = new Set<string>();
  const metrics = doc.metrics.map((m, i): MetricSpec => {
    if (seen.has(m.name)) throw new SpecIssue(['metrics', i, 'name'], `"${m.name}" is listed twice; each objective once`);
    seen.add(m.name);
    checkTrainMetric(program, m.name, ['metrics', i, 'name']);
    if (m.target !== undefined) {
      throw new SpecIssue(['metrics', i, 'target'], 'a target does not apply with several objectives (no single value decides when a Pareto front is done): set run_cap or max_time');
    }
    if (m.goal === undefined && /acc/.test(m.name)) {
      warnings.push(`metrics[${i}].goal: not given, so "${m.name}" is minimized (the W&B default); add "goal: maximize" if higher is better`);
    }
    return { name: m.name, goal: m.goal ?? 'minimize' };
  });
  for (const key of ['pruner', 'early_terminate'] as const) {
    if (doc[key] !== undefined) {
      throw new SpecIssue([key], 'pruning judges one metric\'s learning curve, and this sweep has several objectives ("metrics:"): remove it (Optuna refuses pruning with several objectives too)');
    }
  }
  return { metric: metrics[0]!, metrics, ...(constraints ? { constraints } : {}) };
}

function constraintsOf(doc: Doc, program: string | null): ConstraintSpec[] | undefined {
  if (doc.constraints === undefined) return undefined;
  return doc.constraints.map((c, i) => {
    checkTrainMetric(program, c.name, ['constraints', i, 'name']);
    if (c.max === undefined && c.min === undefined) throw new SpecIssue(['constraints', i], `expected "max", "min" or both: the bound "${c.name}" must meet`);
    if (c.max !== undefined && c.min !== undefined && c.min > c.max) throw new SpecIssue(['constraints', i, 'min'], `${c.min} is above max ${c.max}: no trial could meet it`);
    return { name: c.name, ...(c.max !== undefined ? { max: c.max } : {}), ...(c.min !== undefined ? { min: c.min } : {}) };
  });
}

/** `enqueue:`: configurations to run first, each checked against the space (the ones it leaves out are drawn). */
function enqueueBlock(entries: Array<Record<string, unknown>>, parameters: Record<string, Distribution>, conditions: Conditions): Array<Record<string, ParamValue>> {
  return entries.map((entry, i) => {
    const problem = configurationProblem(parameters, Object.keys(conditions).length ? conditions : undefined, entry);
    if (problem) {
      const unknown = !(problem.name in parameters);
      throw new SpecIssue(['enqueue', i, problem.name], `${problem.message}${unknown ? didYouMean(problem.name, Object.keys(parameters)) : ''}`);
    }
    return entry as Record<string, ParamValue>;
  });
}

/** W&B's command when a program is not a JavaScript module that tfsweep can call in a worker thread. */
export const DEFAULT_COMMAND = ['${env}', '${interpreter}', '${program}', '${args}'];
const MODULE = /\.(m?js|cjs|m?ts|cts)$/i;

/**
 * How each trial runs its program: the file's `command:` (which needs the `program:` it names), W&B's
 * default for a program that is not a JavaScript module (a Python script, a shell script), or none (a
 * module's default export is called in a worker thread).
 */
function commandOf(doc: Doc, program: string | null): string[] | undefined {
  const given = doc.command as string[] | undefined;
  if (given && program === null) throw new SpecIssue(['command'], 'a command runs a "program": add "program: FILE" (the file ${program} names)');
  if (doc.stop_grace !== undefined && !given && !(program && !MODULE.test(program))) throw new SpecIssue(['stop_grace'], 'applies to a command (a program run as its own process)');
  if (given) return given;
  return program !== null && !MODULE.test(program) ? DEFAULT_COMMAND : undefined;
}

function maxTimeOf(doc: Doc): number | null {
  if (doc.max_time === undefined) return null;
  const parsed = parseDuration(doc.max_time);
  if (typeof parsed === 'string') throw new SpecIssue(['max_time'], parsed);
  return parsed;
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

function resolveProgramAt(program: string, context: ValidateContext): string {
  try {
    return context.resolveProgram(program);
  } catch (err) {
    throw new SpecIssue(['program'], (err as Error).message);
  }
}

