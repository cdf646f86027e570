/** Every message between the orchestrator and a worker thread, typed in one place. */
import type { MessagePort } from 'node:worker_threads';
import type { Params } from '../space/distributions.js';
import type { EpochRecord, ExecutionRecord, Metrics } from '../core/records.js';
import type { TrainConfig } from '../trainer/knobs.js';
import type { ImageSet } from '../trainer/mnist.js';

/** Given to each worker once, at start-up: shared memory, not copied per trial. */
export interface WorkerInit {
  dataset: { name: string; classes: number; train: ImageSet; test: ImageSet | null } | null;
}

interface TaskBase {
  trialId: number;
  number: number;
  params: Params;
  trialSeed: number;
  /** Epoch and step reports travel here as they happen; the task's result comes back through piscina. */
  port: MessagePort;
  /**
   * With a pruner: where the orchestrator answers each judged report (see decisions.ts); the worker waits
   * for the answer before it trains on. Absent: nothing is judged.
   */
  decisions?: SharedArrayBuffer;
}

/** One trial of the built-in trainer. */
export interface TrainTask extends TaskBase {
  kind: 'train';
  config: TrainConfig;
  sweepSeed: number;
  executions: number;
  /** Where to save the first execution's model, or null. */
  modelDir: string | null;
  /** Checkpoint each epoch (the trial can then resume after an interruption). */
  checkpoints: boolean;
  /** The checkpoint an interrupted trial resumes from: the execution it was in, and its state. */
  resume?: { execution: number; state: unknown; data: Uint8Array | null } | null;
}

/** Evaluates a saved model once on the test split. */
export interface EvaluateTask {
  kind: 'evaluate';
  trialId: number;
  modelDir: string;
  port: MessagePort;
}

/** One call of a user's objective module. */
export interface ProgramTask extends TaskBase {
  kind: 'program';
  /** file: URL of the module whose default export is the objective. */
  programUrl: string;
  /** The metric the pruner judges (the first objective). */
  metricName: string;
  /**
   * Every metric the result must hold (each objective and constrained metric) when there is more than the
   * one: the objective must then return a record, since a bare number cannot say which it is.
   */
  required?: string[];
  /** Dotted names from nested `parameters:` blocks: the objective receives them as nested objects. */
  nested?: string[];
  /** An interrupted trial's last `trial.saveState` value and the step it was saved at. */
  resume?: { step: number; state: unknown } | null;
}

export type TrialTask = TrainTask | ProgramTask | EvaluateTask;

/** One trial as a child process (`command:`): run by the orchestrator's thread, not a worker thread. */
export interface CommandTask {
  kind: 'command';
  trialId: number;
  number: number;
  params: Params;
  trialSeed: number;
  /** The command's tokens, macros unexpanded (`${args}` …). */
  command: string[];
  program: string | null;
  /** Seconds between SIGTERM and SIGKILL when the trial is stopped. */
  graceSeconds: number;
  /** Added to the command's environment: the sweep, the trial, the database. */
  env: Record<string, string>;
  /** The sweep's metric: the steps that carry it are judged by the pruner. */
  metricName: string;
  decisions?: SharedArrayBuffer;
}



/** A task as the orchestrator builds it: the pool adds the message port. */
export type TaskRequest = (TrialTask extends infer T ? (T extends unknown ? Omit<T, 'port'> : never) : never) | CommandTask;

export type WorkerMessage =
  | { type: 'started'; trialId: number; backend: string | null }
  /** `judged`: the report's sequence number when the worker waits for a pruning decision on it. */
  | { type: 'epoch'; trialId: number; epoch: EpochRecord; totalEpochs: number | null; judged?: number }
  /** The trial's state after an epoch (a program's step): stored, replacing the last, after that epoch. */
  | { type: 'checkpoint'; trialId: number; execution: number; epoch: number; state: unknown; data: ArrayBuffer | null }
  /**
   * The trial's own code (or its training) threw: the task's rejection that follows is the trial's failure.
   * A rejection without it is the thread's (it crashed, ran out of memory, was ended): never the trial's.
   */
  | { type: 'failed'; trialId: number }
  /** The last message on a trial's port: once it arrives, every epoch message has too (a port keeps order). */
  | { type: 'done'; trialId: number };

export interface TrialResult {
  metrics: Metrics;
  epochs: EpochRecord[];
  backend: string | null;
  /** tf.memory().numTensors before and after the trial (built-in trainer): equal unless something leaked. */
  tensorsBefore: number | null;
  tensorsAfter: number | null;
  /** Each execution's result (built-in trainer); `metrics` are their means. */
  executions?: ExecutionRecord[];
  modelPath?: string | null;
  /** The model could not be saved (disk full, permissions): the trial's result stands without it. */
  saveError?: { message: string; code: string | null };
  /** The pruner stopped the trial after its last epoch: `metrics` are that epoch's. */
  pruned?: boolean;
  /**
   * Errors that earlier trials' code threw on this thread after those trials had ended (a timer or a promise
   * they left behind): said as warnings, never charged to this trial.
   */
  strays?: string[];
}
