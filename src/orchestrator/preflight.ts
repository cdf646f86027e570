/** The checks `run` makes before anything is written: does the objective load, can the dataset be read. */
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { SpecError, UsageError } from '../errors.js';
import { engineEnvProblem } from '../trainer/paths.js';
import { nativeAddon, nativeRequiredProblem } from '../trainer/native/addon.js';
import type { LoadedSpec } from '../sweep-file/types.js';
import { DatasetError, checkDatasetFits, loadDataset } from '../trainer/datasets.js';

const PREFLIGHT_FILE = new URL('../worker/preflight.js', import.meta.url);
/** How long an objective module may take to load (TFSWEEP_IMPORT_TIMEOUT_MS overrides). */
const DEFAULT_IMPORT_TIMEOUT_MS = 120_000;

function importTimeoutMs(): number {
  const env = Number(process.env.TFSWEEP_IMPORT_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_IMPORT_TIMEOUT_MS;
}

const checked = new Set<string>();

/**
 * A program that cannot be loaded would fail every trial the same way: this says so once, as a SpecError
 * (exit 2), before anything is written. The module is imported in a short-lived worker thread.
 */
export async function checkProgram(loaded: LoadedSpec): Promise<void> {
  // A command's program is any file, run by the command: nothing to import.
  if (!loaded.spec.program || loaded.spec.command) return;
  const url = pathToFileURL(loaded.spec.program).href;
  if (checked.has(url)) return;
  const problem = await new Promise<string | null>((resolve) => {
    const worker = new Worker(PREFLIGHT_FILE, { workerData: { url }, stdout: false, stderr: false });
    const ms = importTimeoutMs();
    const timer = setTimeout(() => {
      resolve(`it did not finish loading within ${Math.round(ms / 1000)} s (an endless loop or a wait at its top level?)`);
      void worker.terminate();
    }, ms);
    worker.once('message', (m: { ok: boolean; message?: string }) => {
      clearTimeout(timer);
      resolve(m.ok ? null : (m.message ?? 'it failed to load'));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      resolve(err instanceof Error ? err.message : String(err));
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`its loading ended the thread (exit code ${code}): a process.exit() at its top level, or a top-level await that never settles?`);
    });
  });
  if (problem !== null) throw new SpecError(`cannot load the objective: ${problem}`, loaded.file, 'program');
  checked.add(url);
}

/** A dataset that cannot be read, or cannot train anything, is the user's input error: exit 2, nothing written. */
export function checkDataset(loaded: LoadedSpec): void {
  if (loaded.spec.program) return;
  try {
    checkDatasetFits(loadDataset(loaded.spec.train.dataset), loaded.spec);
  } catch (err) {
    if (err instanceof DatasetError) throw new SpecError(err.message, loaded.file, 'train.dataset', undefined, { cause: err });
    throw err;
  }
}

const preflown = new WeakSet<LoadedSpec>();

/**
 * Both checks, once per loaded sweep file: the CLI makes them before it opens the database (a bad program or
 * dataset writes nothing), and `runSweep` makes them for a program that calls it directly; whichever comes
 * second finds them made.
 */
export async function preflight(loaded: LoadedSpec): Promise<void> {
  if (preflown.has(loaded)) return;
  const problem = loaded.spec.program ? null : engineEnvProblem();
  if (problem) throw new UsageError(problem);
  if (!loaded.spec.program && process.env.TFSWEEP_KERNELS === 'native' && !nativeAddon()) {
    throw new UsageError(nativeRequiredProblem());
  }
  await checkProgram(loaded);
  checkDataset(loaded);
  preflown.add(loaded);
}
