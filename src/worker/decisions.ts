/**
 * Pruning decisions between the orchestrator and a worker thread, through shared memory: after a judged
 * report the worker blocks until the orchestrator has stored the report, asked the pruner and answered. A
 * blocking wait keeps `trial.shouldPrune()` synchronous, as Optuna's is, so an objective needs no `await`
 * to be stopped at the step that was judged.
 *
 * Layout (Int32): [0] the sequence number of the last answered report, [1] its answer.
 */
export const CONTINUE = 0;
export const PRUNE = 1;
/** The sweep is stopping (Ctrl-C, `tfsweep stop --now`): the trial is being interrupted. */
export const ABORT = 2;

export function newDecisions(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
}

/** Orchestrator side: answers report `seq`. The answer is written before the number, so the worker never reads a stale one. */
export function answer(decisions: SharedArrayBuffer, seq: number, verdict: number): void {
  const cells = new Int32Array(decisions);
  Atomics.store(cells, 1, verdict);
  Atomics.store(cells, 0, seq);
  Atomics.notify(cells, 0);
}

/** Orchestrator side: wakes a waiting worker for good (the trial is being interrupted). */
export function abortDecisions(decisions: SharedArrayBuffer): void {
  answer(decisions, 0x7fffffff, ABORT);
}

export class TrialInterrupted extends Error {
  override name = 'TrialInterrupted';
}

/** Worker side: waits for the answer to report `seq`; true to stop the trial. */
export function awaitDecision(decisions: SharedArrayBuffer, seq: number): boolean {
  const cells = new Int32Array(decisions);
  for (;;) {
    const answered = Atomics.load(cells, 0);
    if (answered >= seq) break;
    Atomics.wait(cells, 0, answered);
  }
  const verdict = Atomics.load(cells, 1);
  if (verdict === ABORT) throw new TrialInterrupted('the sweep is stopping: this trial is interrupted');
  return verdict === PRUNE;
}

/**
 * The answer to report `seq` for a trial that is not a thread (a command, run by the orchestrator's own
 * thread, which must not block): read without waiting, every few milliseconds, until it is there or
 * `stopped` says the trial ended. The verdict itself, not thrown: the caller stops the process.
 */
export async function decisionLater(decisions: SharedArrayBuffer, seq: number, stopped: () => boolean): Promise<number> {
  const cells = new Int32Array(decisions);
  while (Atomics.load(cells, 0) < seq && !stopped()) await new Promise((r) => setTimeout(r, 5));
  return Atomics.load(cells, 1);
}
