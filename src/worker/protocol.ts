/** Every message between the orchestrator and a worker thread, typed in one place. */
import type { MessagePort } from 'node:worker_threads';
import type { Params } from '../space/distributions.js';
import type { EpochRecord, Metrics } from '../storage/storage.js';
import type { TrainConfig } from '../trainer/knobs.js';
import type { ImageSet } from '../trainer/mnist.js';

/** Given to each worker once, at start-up: shared memory, not copied per trial. */
export interface WorkerInit {
  dataset: { name: string; classes: number; train: ImageSet } | null;
}

/** One trial to run. */
export interface TrialTask {
  trialId: number;
  number: number;
  params: Params;
  config: TrainConfig;
  sweepSeed: number;
  trialSeed: number;
  /** Epoch reports travel here as they happen; the task's result comes back through piscina. */
  port: MessagePort;
}

export type WorkerMessage =
  | { type: 'started'; trialId: number; backend: string }
  | { type: 'epoch'; trialId: number; epoch: EpochRecord; totalEpochs: number }
  /** The last message on a trial's port: once it arrives, every epoch message has too (a port keeps order). */
  | { type: 'done'; trialId: number };

export interface TrialResult {
  metrics: Metrics;
  epochs: EpochRecord[];
  backend: string;
  /** tf.memory().numTensors before and after the trial: equal unless something leaked. */
  tensorsBefore: number;
  tensorsAfter: number;
}
