/**
 * The piscina worker: initialises tfjs once per thread (top-level await), then runs one trial per task.
 */
import * as tf from '@tensorflow/tfjs';
import { workerData } from 'piscina';
import { initBackend } from '../trainer/backend.js';
import { trainTrial } from '../trainer/train.js';
import type { TrialResult, TrialTask, WorkerInit, WorkerMessage } from './protocol.js';

const backend = await initBackend();
const init = workerData as WorkerInit;

export default async function runTrial(task: TrialTask): Promise<TrialResult> {
  const post = (message: WorkerMessage): void => task.port.postMessage(message);
  const tensorsBefore = tf.memory().numTensors;
  try {
    post({ type: 'started', trialId: task.trialId, backend });
    if (!init.dataset) throw new Error('the worker was started without a dataset');
    const out = await trainTrial({
      config: task.config,
      data: init.dataset,
      sweepSeed: task.sweepSeed,
      trialSeed: task.trialSeed,
      onEpoch: (epoch) => post({ type: 'epoch', trialId: task.trialId, epoch, totalEpochs: task.config.epochs }),
    });
    return { ...out, backend, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  } finally {
    post({ type: 'done', trialId: task.trialId });
    task.port.close();
  }
}
