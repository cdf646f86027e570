/**
 * Storage states for tests, reached through the calls the orchestrator makes (a store has no test-only
 * methods): a sweep as `Sweep.open` joins it, a running trial as a process of the sweep claims it, and
 * every running trial interrupted as when its processes are declared gone.
 */
import { randomUUID } from 'node:crypto';
import type { NewTrial, StoredSpec, SweepRecord, TrialRecord } from '../../src/core/records.js';
import type { Storage } from '../../src/storage/storage.js';

/** A new sweep (joining creates it). */
export async function createSweep(s: Storage, spec: StoredSpec, source: string): Promise<SweepRecord> {
  return (await s.joinSweep(spec, source)).sweep;
}

/** One test process per store and sweep, registered on first use. */
const owners = new Map<Storage, Map<number, Promise<number>>>();

/** A running trial of `trial`'s configuration, claimed by this store's test process of the sweep. */
export async function startTrial(s: Storage, sweepId: number, trial: NewTrial): Promise<TrialRecord> {
  let mine = owners.get(s);
  if (!mine) owners.set(s, (mine = new Map()));
  let owner = mine.get(sweepId);
  if (!owner) mine.set(sweepId, (owner = s.registerProcess(sweepId, { host: 'test', pid: process.pid, token: randomUUID() }, 1).then((p) => p.id)));
  const claimed = await s.claimTrial(sweepId, await owner, () => trial);
  if (!claimed) throw new Error('the claim chose a trial and got none');
  return claimed;
}

/** Every running trial of the sweep interrupted: all its processes declared gone (returns how many trials). */
export async function interruptAll(s: Storage, sweepId: number): Promise<number> {
  for (const mine of owners.values()) mine.delete(sweepId);
  return s.reap(sweepId, 0, () => true);
}

/** A trial as the store lists it now. */
export async function trialById(s: Storage, sweepId: number, id: number): Promise<TrialRecord | undefined> {
  return (await s.listTrials(sweepId)).find((t) => t.id === id);
}
