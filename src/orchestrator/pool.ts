/**
 * The worker-thread pool: one piscina thread per parallel trial, each with tfjs initialised once, and the
 * dataset handed over once as shared memory.
 */
import { MessageChannel } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { Piscina } from 'piscina';
import { TrialError, errorMessage } from '../errors.js';
import { runCommand } from '../worker/command.js';
import type { TaskRequest, TrialResult, TrialTask, WorkerInit, WorkerMessage } from '../worker/protocol.js';

const WORKER_FILE = new URL('../worker/worker.js', import.meta.url).href;

/** How long to wait, after a task settles, for the epoch messages still in flight on its port. */
const DRAIN_MS = 2000;

/** Settles when `promise` does or after `ms`, whichever is first; the timer never outlives it (nothing keeps the process up). */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  const timer = new AbortController();
  await Promise.race([promise, delay(ms, undefined, { signal: timer.signal }).catch(() => {})]);
  timer.abort();
}

export class TrialPool {
  private readonly piscina: Piscina;

  constructor(threads: number, init: WorkerInit) {
    this.piscina = new Piscina({
      filename: WORKER_FILE,
      minThreads: threads,
      maxThreads: threads,
      // The orchestrator never dispatches more trials than threads, so nothing waits in piscina's queue for
      // long; the queue stays unbounded so a thread being replaced after a crash does not reject a trial.
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: init,
    });
  }

  get threads(): number {
    return this.piscina.threads.length;
  }

  async run(task: TaskRequest, onMessage: (message: WorkerMessage) => void, signal: AbortSignal): Promise<TrialResult> {
    // A command is a child process of its own, not a task for a thread.
    if (task.kind === 'command') return runCommand(task, onMessage, signal);
    const { port1, port2 } = new MessageChannel();
    let drained!: () => void;
    const done = new Promise<void>((resolve) => (drained = resolve));
    let failed = false;
    port1.on('message', (message: WorkerMessage) => {
      if (message.type === 'done') drained();
      else if (message.type === 'failed') failed = true;
      else onMessage(message);
    });
    port1.on('close', () => drained());
    try {
      return await this.piscina.run({ ...task, port: port2 } as TrialTask, { transferList: [port2], signal });
    } catch (err) {
      if (!signal.aborted) await within(done, DRAIN_MS);
      // The worker said the trial's own code threw: a failed trial. Anything else (the thread crashed, ran
      // out of memory, called process.exit) is not the trial's doing, and is thrown as it is.
      if (failed) throw new TrialError(errorMessage(err), { cause: err });
      throw err;
    } finally {
      if (!signal.aborted) await within(done, DRAIN_MS);
      port1.close();
    }
  }

  async destroy(): Promise<void> {
    await this.piscina.destroy();
  }
}
