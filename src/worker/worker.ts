/**
 * The piscina worker: one trial per task, either the built-in trainer (tfjs is loaded and its backend
 * initialised once per thread, on the first such trial) or a user's objective module.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { workerData } from 'piscina';
import { errorMessage } from '../errors.js';
import { runObjective } from './program.js';
import { awaitDecision } from './decisions.js';
import { aggregateExecutions, executionSeed, type ExecutionRun } from '../trainer/executions.js';
import type { TrainerState } from '../trainer/checkpoint.js';
import type { EvaluateTask, TrainTask, TrialResult, TrialTask, WorkerInit, WorkerMessage } from './protocol.js';

const init = workerData as WorkerInit;

// tfjs is imported lazily: a sweep of custom objectives never pays for loading it.
let trainer: Promise<{ backend: string; tf: typeof import('@tensorflow/tfjs'); train: typeof import('../trainer/train.js') }> | undefined;
function loadTrainer(): NonNullable<typeof trainer> {
  trainer ??= (async () => {
    const [{ initBackend, backendLabel }, tf, train] = await Promise.all([import('../trainer/backend.js'), import('@tensorflow/tfjs'), import('../trainer/train.js')]);
    // Recorded on each trial with the kernels it trains with (on wasm: native, wasm or stock).
    return { backend: backendLabel(await initBackend()), tf, train };
  })();
  return trainer;
}

/** What a trainer's checkpoint holds for the worker: the executions finished, and the training under way. */
interface ResumeState {
  runs: ExecutionRun[];
  trainer: TrainerState;
}

async function runTrain(task: TrainTask, post: (m: WorkerMessage, transfer?: ArrayBuffer[]) => void): Promise<TrialResult> {
  const { backend, tf, train } = await loadTrainer();
  post({ type: 'started', trialId: task.trialId, backend });
  if (!init.dataset) throw new Error('the worker was started without a dataset');
  const tensorsBefore = tf.memory().numTensors;
  // A resumed trial: the executions it had finished, and where the one it was in stood.
  const resumed = task.resume ? (task.resume.state as ResumeState) : null;
  // A finished execution's saved model is on the machine that ran it: resumed elsewhere (a database that keeps
  // models stages them in a temporary folder there), it is not kept rather than looked for in vain.
  const runs: ExecutionRun[] = resumed ? resumed.runs.map((r) => (r.modelPath && !existsSync(r.modelPath) ? { ...r, modelPath: null } : r)) : [];
  // Only the first execution is judged by the pruner; once it has run to its end, the others run in full.
  let judged = 0;
  const decisions = task.decisions;
  for (let execution = task.resume?.execution ?? 0; execution < task.executions; execution++) {
    const seed = executionSeed(task.trialSeed, execution);
    const judging = execution === 0 && decisions !== undefined;
    const out = await train.trainTrial({
      config: task.config,
      data: init.dataset,
      sweepSeed: task.sweepSeed,
      trialSeed: seed,
      saveTo: execution === 0 ? task.modelDir : null,
      ...(resumed && execution === task.resume!.execution && task.resume!.data ? { resume: { state: resumed.trainer, data: task.resume!.data } } : {}),
      ...(task.checkpoints
        ? {
            onCheckpoint: (c: { state: TrainerState; data: ArrayBuffer }) =>
              post({ type: 'checkpoint', trialId: task.trialId, execution, epoch: c.state.epoch, state: { runs, trainer: c.state } satisfies ResumeState, data: c.data }, [c.data]),
          }
        : {}),
      onEpoch: (epoch) =>
        post({
          type: 'epoch',
          trialId: task.trialId,
          epoch: { ...epoch, ...(execution ? { execution } : {}) },
          totalEpochs: task.config.epochs * task.executions,
          ...(judging ? { judged: ++judged } : {}),
        }),
      ...(judging ? { shouldPrune: () => awaitDecision(decisions, judged) } : {}),
    });
    if (out.pruned) {
      return { metrics: out.metrics, epochs: out.epochs, backend, tensorsBefore, tensorsAfter: tf.memory().numTensors, pruned: true };
    }
    runs.push({ ...out, seed, epochs: out.epochs.map((e) => ({ ...e, ...(execution ? { execution } : {}) })) });
  }
  const { metrics, executions } = aggregateExecutions(runs);
  return {
    metrics,
    epochs: runs.flatMap((r) => r.epochs),
    executions,
    backend,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    modelPath: runs[0]?.modelPath ?? null,
    ...(runs[0]?.saveError ? { saveError: runs[0].saveError } : {}),
  };
}

async function runEvaluate(task: EvaluateTask): Promise<TrialResult> {
  const { backend, tf, train } = await loadTrainer();
  if (!init.dataset) throw new Error('the worker was started without a dataset');
  const tensorsBefore = tf.memory().numTensors;
  if (!init.dataset.test) throw new Error('the dataset has no test split');
  const metrics = await train.evaluateSaved(task.modelDir, init.dataset.test, init.dataset.classes);
  return { metrics, epochs: [], backend, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

/**
 * Whose code runs: each trial runs inside this context, which its timers and promises inherit, so an error
 * thrown by one of them after its trial ended is told from one thrown by the trial that runs now.
 */
const owner = new AsyncLocalStorage<{ trialId: number; number: number }>();
/** The trial running on this thread, and how to fail it with an error its own async code threw. */
let running: { trialId: number; fail: (err: unknown) => void } | null = null;
/** Errors of trials that had ended, to be said with the next result. */
let strays: string[] = [];

/**
 * An error nobody caught (a throw in a timer, a rejected promise nobody awaited) would end this thread, and
 * piscina would charge whichever trial runs on it then. It is charged to the trial whose code threw it: the
 * running one fails with it (as if its call had thrown); one that has ended keeps its result, and the error
 * is said as a warning.
 */
function uncaught(err: unknown): void {
  const from = owner.getStore();
  if (running && (from === undefined || from.trialId === running.trialId)) running.fail(err);
  else strays.push(`${from ? `trial ${from.number}` : 'code of an ended trial'} threw after it had ended (its result stands): ${errorMessage(err) || 'an error without a message'}`);
}
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

/**
 * What crosses back to the orchestrator as a trial's error: always an Error with a message (a thrown null
 * would settle the task as a success; a Symbol or a function cannot be cloned across threads).
 */
function asError(err: unknown): Error {
  if (err instanceof Error) {
    if (err.message === '') err.message = `${err.name || 'Error'} (thrown without a message)`;
    return err;
  }
  if (typeof err === 'symbol') return new Error(`the objective threw ${String(err)}`);
  return new Error(err === null || err === undefined ? `the objective threw ${String(err)}` : errorMessage(err));
}

export default async function runTrial(task: TrialTask): Promise<TrialResult> {
  let fail!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  running = { trialId: task.trialId, fail };
  try {
    const result = await owner.run({ trialId: task.trialId, number: 'number' in task ? task.number : -1 }, () => Promise.race([runTask(task), failed]));
    if (strays.length) {
      result.strays = strays;
      strays = [];
    }
    return result;
  } catch (err) {
    // Said before the task settles, on the port the orchestrator drains first (a no-op once runTask closed it,
    // having said it already): this rejection is the trial's own failure.
    failedOn(task);
    throw asError(err);
  } finally {
    running = null;
  }
}

function failedOn(task: TrialTask): void {
  try {
    task.port.postMessage({ type: 'failed', trialId: task.trialId } satisfies WorkerMessage);
  } catch {
    // The port is closed: runTask said it.
  }
}

async function runTask(task: TrialTask): Promise<TrialResult> {
  const post = (message: WorkerMessage, transfer?: ArrayBuffer[]): void => task.port.postMessage(message, transfer);
  try {
    if (task.kind === 'train') return await runTrain(task, post);
    if (task.kind === 'evaluate') return await runEvaluate(task);
    post({ type: 'started', trialId: task.trialId, backend: null });
    const out = await runObjective(
      task.programUrl,
      task.required ?? [task.metricName],
      { number: task.number, seed: task.trialSeed, params: task.params, ...(task.nested ? { nested: task.nested } : {}), ...(task.resume ? { state: task.resume.state, resumedAfter: task.resume.step } : {}) },
      (epoch, judged) => post({ type: 'epoch', trialId: task.trialId, epoch, totalEpochs: null, ...(judged ? { judged } : {}) }),
      task.decisions,
      (step, state) => post({ type: 'checkpoint', trialId: task.trialId, execution: 0, epoch: step, state, data: null }),
    );
    return { ...out, backend: null, tensorsBefore: null, tensorsAfter: null };
  } catch (err) {
    failedOn(task);
    throw err;
  } finally {
    post({ type: 'done', trialId: task.trialId });
    task.port.close();
  }
}
