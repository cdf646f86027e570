/**
 * A trial's parameter values and the distributions they come from, as every layer sees them (W&B sweep
 * semantics). Plain JSON: a trial stores each value beside its distribution and both round-trip through the
 * database unchanged. Sampling and enumeration live in space/.
 */
export type ParamValue = number | string | boolean | null;
export type Params = Record<string, ParamValue>;

export type Distribution =
  | { type: 'constant'; value: ParamValue }
  | { type: 'categorical'; values: ParamValue[]; probabilities?: number[] }
  | { type: 'uniform'; min: number; max: number }
  | { type: 'int_uniform'; min: number; max: number; q: number }
  | { type: 'q_uniform'; min: number; max: number; q: number }
  | { type: 'log_uniform_values'; min: number; max: number }
  | { type: 'q_log_uniform_values'; min: number; max: number; q: number }
  /** W&B: the bounds are natural logarithms; values are exp(uniform(min, max)). */
  | { type: 'log_uniform'; min: number; max: number }
  /** W&B: values X with log(1/X) uniform in [min, max] (natural logs), so X in [e^−max, e^−min]. */
  | { type: 'inv_log_uniform'; min: number; max: number }
  /** W&B: values X in [min, max] with log(1/X) uniform in [log(1/max), log(1/min)]. */
  | { type: 'inv_log_uniform_values'; min: number; max: number }
  | { type: 'normal'; mu: number; sigma: number }
  | { type: 'q_normal'; mu: number; sigma: number; q: number }
  /** W&B: log(X) is normal with mean mu and standard deviation sigma. */
  | { type: 'log_normal'; mu: number; sigma: number }
  | { type: 'q_log_normal'; mu: number; sigma: number; q: number }
  | { type: 'beta'; a: number; b: number }
  | { type: 'q_beta'; a: number; b: number; q: number };

/** A parameter's condition on another (`when:`): the parent takes one of `values`, or lies within [min, max]. */
export type Condition = { values: ParamValue[] } | { min?: number; max?: number };

/** Per conditional parameter, each parent it depends on and the condition the parent must meet. */
export type Conditions = Record<string, Record<string, Condition>>;
