import type { ConstraintSpec, MetricSpec } from '../core/metric.js';
import type { Distribution } from '../space/distributions.js';
import type { Conditions, ParamValue } from '../core/params.js';
import type { TrainConfig } from '../trainer/knobs.js';
import type { Method, SamplerBlocks } from '../samplers/registry.js';

/** A `pruner:` block with its plug-in's defaults filled in; W&B's `early_terminate:` becomes `wandb_hyperband`. */
export type { PrunerSpec } from '../pruners/registry.js';
import type { PrunerSpec } from '../pruners/registry.js';

export type { Goal } from '../core/metric.js';

export type { Method } from '../samplers/registry.js';

/**
 * A validated sweep file with defaults filled in: what the planner and orchestrator work from. Its method's
 * settings are in the block named after the method (`bayes:` for TPE; null for the other methods).
 */
export type SweepSpec = SamplerBlocks & SweepSettings;

/** The settings every sweep has, whatever its method. */
export interface SweepSettings {
  name: string;
  description?: string;
  method: Method;
  /** `target`: the sweep finishes once a trial's value reaches it (W&B's metric.target). */
  metric: MetricSpec;
  /** W&B's `metrics:`: two or more objectives (the first is `metric`), searched for their Pareto front; absent with one. */
  metrics?: MetricSpec[];
  /** Bounds on metrics a trial must meet to be ranked (and that the TPE steers towards); absent when none. */
  constraints?: ConstraintSpec[];
  /** Completed trials after which the sweep is finished; for grid also capped by the grid's size. */
  run_cap: number | null;
  seed: number;
  /** False when the file did not fix a seed and one was drawn; resume then reuses the recorded one. */
  seed_given: boolean;
  workers: number | null;
  max_consecutive_failures: number;
  /** The built-in trainer checkpoints every trial after each epoch (absent: on); false turns it off. */
  checkpoints?: boolean;
  /** A failed trial runs again with the same parameters up to this many times (absent in older sweeps: 0). */
  max_retries?: number;
  /** Configurations to run first (W&B-style `enqueue:` list), before the sampler's own; absent when none. */
  enqueue?: Array<Record<string, ParamValue>>;
  /** Trainings per trial with different seeds (KerasTuner's meaning); the trial's value is their mean. */
  executions_per_trial: number;
  /** Keep the saved models of the best K completed trials (null: every completed trial's; 0: none). */
  save_models: number | null;
  /** In file order: grid enumeration order follows it. */
  parameters: Record<string, Distribution>;
  /** The parameters' `when:` conditions; absent when none has one (and in sweeps stored before they existed). */
  conditions?: Conditions;
  /** The dotted names of parameters from W&B's nested `parameters:` blocks (a program receives them nested). */
  nested?: string[];
  /** The built-in trainer's settings; unused when `program` is set. */
  train: TrainConfig;
  /** Absolute path of a custom objective (a module, or the file `command` runs), or null for the built-in trainer. */
  program: string | null;
  /**
   * Each trial as a child process (W&B's `command:`, macros unexpanded): given, or W&B's default
   * `${env} ${interpreter} ${program} ${args}` for a `program` that is not a JavaScript module.
   */
  command?: string[];
  /** Seconds a stopped command has between SIGTERM and SIGKILL (absent: 10). */
  stop_grace?: number;
  /** Stops hopeless trials early; absent in sweeps stored before pruning existed (read as none). */
  pruner?: PrunerSpec | null;
  /** Seconds after which no new trial starts (running ones finish); null or absent: no limit. */
  max_time?: number | null;
}

/** A sweep file as read: the text as given, and the parsed spec. */
export interface LoadedSpec {
  file: string;
  source: string;
  spec: SweepSpec;
  warnings: string[];
}
