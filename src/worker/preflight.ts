/**
 * Imports a sweep's objective module once, in a thread of its own, before the sweep starts: only whether
 * it loads is learned. Its top level never runs in tfsweep's main thread, so a `process.exit()` there, a
 * changed global (JSON.stringify, Array.prototype) or an endless loop cannot touch what tfsweep records.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { loadObjective } from './program.js';

const { url } = workerData as { url: string };
try {
  await loadObjective(url);
  parentPort!.postMessage({ ok: true });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: errorMessage(err) });
}
