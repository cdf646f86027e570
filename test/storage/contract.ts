/**
 * One contract for every Storage: the same tests run unchanged against SQLite and PostgreSQL. A backend
 * supplies a fresh, empty database per test and a way to open more connections to it (other processes, as
 * far as the database can tell).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { FinishedTrialError, type ClaimView, type Storage, type TrialRecord } from '../../src/storage/storage.js';
import { claimViewOf } from '../../src/core/records.js';
import { createSweep, startTrial, interruptAll, trialById } from './fixtures.js';

export interface ContractDatabase {
  /** A new connection to this test's database (migrating it if new). */
  open(options?: { readonly?: boolean }): Promise<Storage>;
  /** Writes a schema version number directly, as a newer tfsweep would have. */
  setSchemaVersion(version: number): Promise<void>;
  /** The schema version recorded in the database. */
  schemaVersion(): Promise<number>;
  cleanup(): Promise<void>;
}

export type ContractFactory = () => Promise<ContractDatabase>;

const loaded = parseSpecText(
  'name: st\nmethod: grid\nseed: 5\nparameters:\n  units: {values: [8, 16]}\n  optimizer: {values: [adam, sgd]}\n',
  'st.yaml',
);
const dist = loaded.spec.parameters;
const newTrial = (configIndex: number) => ({
  configIndex,
  params: { units: 8 * (configIndex + 1), optimizer: 'adam' },
  distributions: { units: dist.units!, optimizer: dist.optimizer! },
  seed: 100 + configIndex,
});
const epoch = (n: number, execution = 0) => ({ ...(execution ? { execution } : {}), epoch: n, metrics: { loss: 1 / n, val_accuracy: n / 10 }, durationMs: 10 * n, samples: 100 });

/**
 * `keepsModels`: the backend keeps saved models in the database (PostgreSQL); SQLite keeps them in folders
 * beside the file, tested with the model folders, so its contract has no model-store test.
 */
export function storageContract(backend: string, factory: ContractFactory, skip: string | false = false, options: { keepsModels: boolean } = { keepsModels: false }): void {
  describe(`Storage contract: ${backend}`, { skip }, () => {
    /** Runs fn with a fresh database and one open connection; always cleans up. */
    async function withDb(fn: (s: Storage, db: ContractDatabase) => Promise<void>): Promise<void> {
      const db = await factory();
      const s = await db.open();
      try {
        await fn(s, db);
      } finally {
        await s.close();
        await db.cleanup();
      }
    }

    it('migrates a new database to the current version once; reopening changes nothing', async () => {
      await withDb(async (s, db) => {
        const version = await db.schemaVersion();
        assert.ok(version >= 1);
        await createSweep(s, loaded.spec, loaded.source);
        const again = await db.open();
        assert.equal(await db.schemaVersion(), version);
        assert.deepEqual((await again.listSweeps()).map((x) => x.name), ['st']);
        await again.close();
      });
    });

    it('refuses a database whose schema is newer than this tfsweep, for writing and for reading', async () => {
      await withDb(async (_s, db) => {
        const version = await db.schemaVersion();
        await db.setSchemaVersion(version + 1);
        await assert.rejects(db.open(), /newer than this tfsweep/);
        await assert.rejects(db.open({ readonly: true }), /newer than this tfsweep/);
        await db.setSchemaVersion(version);
      });
    });

    it('stores a sweep with its spec, source and parameter distributions', async () => {
      await withDb(async (s) => {
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        assert.equal(sweep.state, 'running');
        assert.deepEqual(sweep.spec, loaded.spec);
        assert.equal(sweep.source, loaded.source);
        assert.ok(!Number.isNaN(Date.parse(sweep.createdAt)));
        const t = await startTrial(s, sweep.id, newTrial(0));
        assert.deepEqual(t.distributions, { units: dist.units, optimizer: dist.optimizer });
        assert.deepEqual(t.params, { units: 8, optimizer: 'adam' });
        assert.equal(t.number, 0);
        assert.equal(t.state, 'running');
        assert.equal(t.seed, 100);
        // Joining again finds it: one sweep per name, however many processes create it.
        const again = await s.joinSweep(loaded.spec, loaded.source);
        assert.equal(again.created, false);
        assert.equal(again.sweep.id, sweep.id);
      });
    });

    it('records epochs in order, ignores a repeated epoch, and returns them with executions', async () => {
      await withDb(async (s) => {
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        const t = await startTrial(s, sweep.id, newTrial(0));
        await s.setTrialBackend(t.id, 'wasm');
        await s.recordEpoch(t.id, epoch(1));
        await s.recordEpoch(t.id, epoch(2));
        await s.recordEpoch(t.id, { ...epoch(2), metrics: { loss: 99 } });
        await s.recordEpoch(t.id, epoch(1, 1));
        // The result repeats epoch 2 (already written) and brings epoch 3 (not yet written by a message).
        await s.completeTrial(t.id, 0.3, { val_accuracy: 0.3 }, [epoch(2), epoch(3)], [
          { execution: 0, seed: 7, value: 0.3, metrics: { val_accuracy: 0.3 }, stoppedEpoch: 3, bestEpoch: 2 },
          { execution: 1, seed: 8, value: 0.1, metrics: { val_accuracy: 0.1 }, stoppedEpoch: 1, bestEpoch: null },
        ]);
        const [trial] = await s.listTrials(sweep.id, { withEpochs: true });
        assert.equal(trial!.state, 'complete');
        assert.equal(trial!.value, 0.3);
        assert.equal(trial!.backend, 'wasm');
        assert.deepEqual(trial!.epochs, [epoch(1), epoch(2), epoch(3), epoch(1, 1)]);
        assert.deepEqual(trial!.executions!.map((x) => [x.execution, x.seed, x.value, x.stoppedEpoch, x.bestEpoch]), [[0, 7, 0.3, 3, 2], [1, 8, 0.1, 1, null]]);
        assert.ok(Date.parse(trial!.endedAt!) >= Date.parse(trial!.startedAt!));
        const plain = await s.listTrials(sweep.id);
        assert.equal(plain[0]!.epochs, undefined);
      });
    });

    it('refuses any write to a finished trial (it throws, and nothing changes)', async () => {
      await withDb(async (s) => {
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        const t = await startTrial(s, sweep.id, newTrial(0));
        await s.recordEpoch(t.id, epoch(1));
        await s.completeTrial(t.id, 0.5, { val_accuracy: 0.5 }, []);
        await assert.rejects(s.failTrial(t.id, 'late', [epoch(2)]), FinishedTrialError);
        await assert.rejects(s.completeTrial(t.id, 0.9, { val_accuracy: 0.9 }, [epoch(3)]), FinishedTrialError);
        await assert.rejects(s.recordEpoch(t.id, epoch(4)), /is complete, not running/);
        await assert.rejects(s.setTrialBackend(t.id, 'cpu'), FinishedTrialError);
        await assert.rejects(s.recordEpoch(999_999, epoch(1)), /does not exist/);
        const after = (await s.listTrials(sweep.id, { withEpochs: true }))[0]!;
        assert.equal(after.state, 'complete');
        assert.equal(after.value, 0.5);
        assert.equal(after.error, null);
        assert.deepEqual(after.epochs!.map((e) => e.epoch), [1]);
        // Set after the fact, by design: the chosen model's test metrics and where its model is.
        await s.setTestMetrics(t.id, { test_accuracy: 0.4 });
        await s.setModelPath(t.id, '/m/trial-0000');
        const final = (await trialById(s, sweep.id, t.id))!;
        assert.deepEqual(final.testMetrics, { test_accuracy: 0.4 });
        assert.equal(final.modelPath, '/m/trial-0000');
      });
    });

    it('records a pruned trial with its steps, value and last step; it counts as finished and does not change again', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const proc = await s.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
        const t = (await s.claimTrial(sweep.id, proc.id, () => newTrial(0)))!;
        await s.recordEpoch(t.id, epoch(1));
        await s.pruneTrial(t.id, 0.2, { val_accuracy: 0.2, loss: 1 }, [epoch(1), epoch(2)], 2);
        const [stored] = await s.listTrials(sweep.id, { withEpochs: true });
        assert.equal(stored!.state, 'pruned');
        assert.equal(stored!.value, 0.2);
        assert.equal(stored!.prunedStep, 2);
        assert.deepEqual(stored!.epochs!.map((e) => e.epoch), [1, 2]);
        await assert.rejects(s.pruneTrial(t.id, 0.3, null, [], 3), FinishedTrialError);
        await assert.rejects(s.completeTrial(t.id, 0.3, { val_accuracy: 0.3 }, []), FinishedTrialError);
        let view: ClaimView | null = null;
        await s.claimTrial(sweep.id, proc.id, (v) => ((view = v), null));
        assert.equal((view as ClaimView | null)!.completed, 1, 'run_cap counts it');
        assert.equal((view as ClaimView | null)!.maxValue, null, 'but it is not a complete trial\'s value');
        assert.deepEqual((view as ClaimView | null)!.reruns, []);
      });
    });

    it('keeps a value per objective: the first is also the value, a single-objective trial has none', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const proc = await s.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
        const a = (await s.claimTrial(sweep.id, proc.id, () => newTrial(0)))!;
        const settled = await s.completeTrial(a.id, [0.91, 25450, 0.25], { val_accuracy: 0.91, params: 25450, inference_ms: 0.25 }, []);
        assert.equal(settled.value, 0.91);
        assert.deepEqual(settled.values, [0.91, 25450, 0.25]);
        const b = (await s.claimTrial(sweep.id, proc.id, () => newTrial(1)))!;
        await s.completeTrial(b.id, 0.5, { val_accuracy: 0.5 }, []);
        const [x, y] = await s.listTrials(sweep.id);
        assert.equal(x!.value, 0.91);
        assert.deepEqual(x!.values, [0.91, 25450, 0.25]);
        assert.equal(y!.value, 0.5);
        assert.equal(y!.values, undefined);
      });
    });

    it('a trial\'s whole life: enqueued, claimed once, checkpointed, interrupted, resumed as itself, failed and retried', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const proc = await s.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
        const [queued] = await s.insertTrials(sweep.id, 1, (_, configIndex) => ({ ...newTrial(0), configIndex, state: 'queued', origin: 'enqueued' }));
        assert.deepEqual([queued!.state, queued!.configIndex, queued!.origin], ['queued', -1, 'enqueued']);
        let view: ClaimView | null = null;
        const claimed = (await s.claimTrial(sweep.id, proc.id, (v) => ((view = v), { reclaim: v.reruns[0]!.trialId })))!;
        assert.deepEqual((view as ClaimView | null)!.reruns.map((r) => r.kind), ['queued']);
        assert.deepEqual([(view as ClaimView | null)!.nextIndex, (view as ClaimView | null)!.outside], [0, 1], 'an enqueued trial is outside the sampler\'s sequence');
        assert.deepEqual([claimed.id, claimed.state, claimed.attempt ?? 1], [queued!.id, 'running', 1]);
        // Checkpointed after epoch 2 (with 3 stored), then its process is gone.
        for (const n of [1, 2, 3]) await s.recordEpoch(claimed.id, epoch(n));
        await s.saveCheckpoint(claimed.id, { execution: 0, epoch: 2, state: { lr: 0.01 }, data: Buffer.from([1, 2, 3, 4]) });
        await s.endProcess(proc.id);
        const cp = await s.loadCheckpoint(claimed.id);
        assert.deepEqual({ ...cp, data: [...cp!.data!] }, { execution: 0, epoch: 2, state: { lr: 0.01 }, data: [1, 2, 3, 4] });
        const proc2 = await s.registerProcess(sweep.id, { host: 'h', pid: 2, token: 't2' }, 1);
        const resumed = (await s.claimTrial(sweep.id, proc2.id, (v) => ((view = v), { reclaim: v.reruns[0]!.trialId })))!;
        assert.deepEqual((view as ClaimView | null)!.reruns.map((r) => r.kind), ['resume']);
        assert.equal(resumed.id, claimed.id);
        assert.equal(resumed.attempt, 2);
        assert.deepEqual(resumed.attempts!.map((a) => [a.attempt, a.state, a.resumedAfter]), [[1, 'interrupted', 2]]);
        const [held] = await s.listTrials(sweep.id, { withEpochs: true });
        assert.deepEqual(held!.epochs!.map((e) => e.epoch), [1, 2], 'the epochs after the checkpoint go; those up to it stay');
        // A failure: the checkpoint goes; with attempts left it is offered for a retry, starting over.
        await s.failTrial(resumed.id, 'boom', []);
        assert.equal(await s.loadCheckpoint(resumed.id), null);
        await assert.rejects(s.saveCheckpoint(resumed.id, { execution: 0, epoch: 3, state: {}, data: null }), FinishedTrialError);
        assert.equal(await s.claimTrial(sweep.id, proc2.id, () => null, { maxAttempts: 2 }), null);
        const retried = (await s.claimTrial(sweep.id, proc2.id, (v) => ((view = v), v.reruns[0] ? { reclaim: v.reruns[0].trialId } : null), { maxAttempts: 3 }))!;
        assert.deepEqual((view as ClaimView | null)!.reruns.map((r) => r.kind), ['retry']);
        assert.equal(retried.attempt, 3);
        assert.deepEqual((await s.listTrials(sweep.id, { withEpochs: true }))[0]!.epochs, [], 'a retry starts from the beginning');
      });
    });

    it('notes, renames and deletes a sweep', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const proc = await s.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
        await s.claimTrial(sweep.id, proc.id, () => newTrial(0));
        assert.equal(await s.setNote(sweep.id, null, 'overnight'), true);
        assert.equal(await s.setNote(sweep.id, 0, 'the paper\'s'), true);
        assert.equal(await s.setNote(sweep.id, 7, 'none'), false);
        assert.equal((await s.getSweep(sweep.name))!.note, 'overnight');
        assert.equal((await s.listTrials(sweep.id))[0]!.note, 'the paper\'s');
        const other = await s.joinSweep({ ...loaded.spec, name: 'other' }, loaded.source);
        await assert.rejects(s.renameSweep(sweep.id, 'other'), /a sweep named "other" exists already/);
        await s.renameSweep(sweep.id, 'renamed');
        assert.equal((await s.getSweep('renamed'))!.id, sweep.id);
        await s.deleteSweep(sweep.id);
        assert.deepEqual((await s.listSweeps()).map((x) => x.name), [other.sweep.name]);
      });
    });

    it('measures how long the sweep\'s run has lasted, and starts a new run when asked', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        assert.ok((await s.runClock(sweep.id, true)) < 1000);
        await new Promise((r) => setTimeout(r, 250));
        const elapsed = await s.runClock(sweep.id, false);
        assert.ok(elapsed >= 200 && elapsed < 5000, String(elapsed));
        assert.ok((await s.runClock(sweep.id, true)) < 200);
      });
    });

    it('marks running trials interrupted, leaving finished ones alone; a stopped sweep is reopened by joining', async () => {
      await withDb(async (s) => {
        const { sweep, created } = await s.joinSweep(loaded.spec, loaded.source);
        assert.ok(created);
        const done = await startTrial(s, sweep.id, newTrial(0));
        await s.completeTrial(done.id, 0.9, { val_accuracy: 0.9 }, []);
        await startTrial(s, sweep.id, newTrial(1));
        assert.equal(await interruptAll(s, sweep.id), 1);
        assert.deepEqual((await s.listTrials(sweep.id)).map((t) => [t.number, t.state]), [[0, 'complete'], [1, 'interrupted']]);
        assert.equal(await interruptAll(s, sweep.id), 0);
        await s.setSweepState(sweep.id, 'stopped', 'why');
        const after = (await s.getSweep('st'))!;
        assert.equal(after.state, 'stopped');
        assert.equal(after.message, 'why');
        assert.ok(after.finishedAt);
        const again = await s.joinSweep(loaded.spec, loaded.source);
        assert.ok(!again.created);
        assert.equal(again.sweep.id, sweep.id);
        assert.equal(again.sweep.state, 'running');
        assert.equal(again.sweep.message, null);
        assert.ok(await s.finishSweep(sweep.id, 'all done'));
        assert.ok(!(await s.finishSweep(sweep.id, 'twice')), 'only one caller finishes a sweep');
        const finished = await s.joinSweep(loaded.spec, loaded.source);
        assert.equal(finished.sweep.state, 'finished');
        assert.equal(finished.sweep.message, 'all done');
      });
    });

    it('processes: leases, stop requests, and a silent or dead process has its trials interrupted', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const a = await s.registerProcess(sweep.id, { host: 'h1', pid: 11, token: 'a' }, 2);
        const b = await s.registerProcess(sweep.id, { host: 'h2', pid: 22, token: 'b' }, 1);
        assert.deepEqual([a.state, a.workers, a.runningTrials, a.stop], ['running', 2, 0, null]);
        const ta = await s.claimTrial(sweep.id, a.id, () => newTrial(0));
        const tb = await s.claimTrial(sweep.id, b.id, () => newTrial(1));
        assert.equal(ta!.processId, a.id);
        assert.equal(tb!.processId, b.id);
        assert.deepEqual(await s.beat(a.id), { gone: false, stop: null });
        assert.equal(await s.requestStop(sweep.id, 'drain'), 2);
        assert.deepEqual(await s.beat(b.id), { gone: false, stop: 'drain' });
        assert.equal(await s.requestStop(sweep.id, 'now'), 2);
        assert.equal(await s.requestStop(sweep.id, 'drain'), 2);
        assert.deepEqual(await s.beat(a.id), { gone: false, stop: 'now' }, 'a later drain does not soften now');
        // Nobody silent, nobody dead: nothing happens.
        assert.equal(await s.reap(sweep.id, 60_000, () => false), 0);
        // b is dead as far as its host can tell: its running trial is interrupted, a's is not.
        assert.equal(await s.reap(sweep.id, 60_000, (p) => p.host === 'h2'), 1);
        assert.deepEqual(await s.beat(b.id), { gone: true, stop: 'now' });
        const trials = await s.listTrials(sweep.id);
        assert.deepEqual(trials.map((t) => t.state), ['running', 'interrupted']);
        assert.match(trials[1]!.error!, /its process \(h2\/22\) is gone/);
        await assert.rejects(s.recordEpoch(tb!.id, epoch(1)), FinishedTrialError);
        // Silence: with a grace of 0 ms every process that has not just beaten is gone.
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(await s.reap(sweep.id, 1, () => false), 1);
        const procs = await s.listProcesses(sweep.id);
        assert.deepEqual(procs.map((p) => [p.host, p.state, p.runningTrials]), [['h1', 'gone', 0], ['h2', 'gone', 0]]);
        assert.ok(procs.every((p) => p.endedAt && p.silentMs >= 0));
        const c = await s.registerProcess(sweep.id, { host: 'h3', pid: 33, token: 'c' }, 1);
        await s.claimTrial(sweep.id, c.id, () => newTrial(2));
        assert.equal(await s.endProcess(c.id), 1);
        assert.equal((await s.listProcesses(sweep.id))[2]!.state, 'ended');
      });
    });

    it('concurrent joins from several connections create one sweep; concurrent claims never choose twice', async () => {
      await withDb(async (_s, db) => {
        const conns = await Promise.all(Array.from({ length: 6 }, () => db.open()));
        try {
          const joins = await Promise.all(conns.map((c) => c.joinSweep(loaded.spec, loaded.source)));
          assert.equal(joins.filter((j) => j.created).length, 1);
          assert.equal(new Set(joins.map((j) => j.sweep.id)).size, 1);
          const sweepId = joins[0]!.sweep.id;
          const procs = await Promise.all(conns.map((c, i) => c.registerProcess(sweepId, { host: 'h', pid: i, token: String(i) }, 1)));
          // Each claim chooses the next configuration index from the history it reads: only atomic claims
          // make 30 concurrent claims choose 30 different indices.
          const next = (view: ClaimView) => newTrial(view.nextIndex);
          const claimed = await Promise.all(conns.flatMap((c, i) => Array.from({ length: 5 }, () => c.claimTrial(sweepId, procs[i]!.id, next))));
          assert.deepEqual(claimed.map((t) => t!.configIndex).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
          assert.deepEqual(claimed.map((t) => t!.number).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
          assert.equal((await conns[0]!.listSweeps()).length, 1);
          assert.equal(await conns[0]!.claimTrial(sweepId, procs[0]!.id, () => null), null);
        } finally {
          await Promise.all(conns.map((c) => c.close()));
        }
      });
    });

    it('the claim view the database computes equals the one computed from the whole history', async () => {
      await withDb(async (s) => {
        const { sweep } = await s.joinSweep(loaded.spec, loaded.source);
        const proc = await s.registerProcess(sweep.id, { host: 'h', pid: 1, token: 't' }, 1);
        const claim = (i: number) => s.claimTrial(sweep.id, proc.id, () => newTrial(i));
        // Configurations: 0 complete; 1 failed; 2 interrupted then complete; 3 interrupted twice (a re-run
        // candidate, with its params); 4 running; 5 interrupted and now re-running; 6 interrupted.
        const t0 = (await claim(0))!; await s.completeTrial(t0.id, 1, { val_accuracy: 1 }, []);
        const t1 = (await claim(1))!; await s.failTrial(t1.id, 'x', []);
        await claim(2); await claim(3); const t3 = (await claim(3))!; await claim(5); const t6 = (await claim(6))!;
        assert.equal(await interruptAll(s, sweep.id), 5);
        const t2 = (await claim(2))!; await s.completeTrial(t2.id, 2, { val_accuracy: 2 }, []);
        await claim(4); await claim(5);
        let light: ClaimView | null = null;
        let full: ClaimView | null = null;
        await s.claimTrial(sweep.id, proc.id, (v) => ((light = v), null));
        await s.claimTrial(sweep.id, proc.id, (v) => ((full = v), null), { history: true });
        assert.ok(light && full);
        const l = light as ClaimView;
        const f = full as ClaimView;
        assert.equal(l.history, null);
        assert.equal(f.history!.length, 10);
        assert.deepEqual({ ...f, history: null }, { ...claimViewOf(f.history!), history: null });
        assert.equal(l.completed, 2);
        assert.equal(l.nextIndex, 7);
        assert.deepEqual([...l.runningConfigs].sort(), [4, 5]);
        // The latest interrupted trial of each configuration is resumed (older tfsweeps ran some twice).
        assert.deepEqual(l.reruns, [
          { trialId: t3.id, configIndex: 3, params: newTrial(3).params, kind: 'resume' },
          { trialId: t6.id, configIndex: 6, params: newTrial(6).params, kind: 'resume' },
        ]);
        assert.deepEqual({ ...l, runningConfigs: [...l.runningConfigs].sort() }, { ...f, runningConfigs: [...f.runningConfigs].sort(), history: null });
      });
    });

    it('a history read in part at each claim equals the whole history while other connections change it', async () => {
      await withDb(async (a, db) => {
        const b = await db.open();
        try {
          const { sweep } = await a.joinSweep(loaded.spec, loaded.source);
          const pa = await a.registerProcess(sweep.id, { host: 'h', pid: 1, token: 'a' }, 1);
          const pb = await b.registerProcess(sweep.id, { host: 'h', pid: 2, token: 'b' }, 1);
          let next = 0;
          /** A claims with the history; what it is given must be what a full read gives just before. */
          const claimA = async (): Promise<void> => {
            const before = await b.listTrials(sweep.id);
            let seen: TrialRecord[] | null = null;
            await a.claimTrial(sweep.id, pa.id, (v) => ((seen = v.history), newTrial(next++)), { history: true });
            assert.deepEqual(seen, before);
          };
          await claimA();
          const b1 = (await b.claimTrial(sweep.id, pb.id, () => newTrial(next++)))!;
          await claimA();
          await b.completeTrial(b1.id, 0.7, { val_accuracy: 0.7 }, [epoch(1)]);
          const b2 = (await b.claimTrial(sweep.id, pb.id, () => newTrial(next++)))!;
          await claimA();
          await b.failTrial(b2.id, 'boom', []);
          await interruptAll(b, sweep.id);
          await claimA();
          const mine = (await a.listTrials(sweep.id)).find((t) => t.state === 'running')!;
          await a.completeTrial(mine.id, 0.1, { val_accuracy: 0.1 }, []);
          await claimA();
          const states = (await a.listTrials(sweep.id)).map((t) => t.state);
          assert.deepEqual(states, ['interrupted', 'complete', 'interrupted', 'failed', 'interrupted', 'complete', 'running']);
        } finally {
          await b.close();
        }
      });
    });

    it('concurrent trial starts from several connections get distinct, gapless numbers', async () => {
      await withDb(async (s, db) => {
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        const conns = await Promise.all(Array.from({ length: 4 }, () => db.open()));
        try {
          const started = await Promise.all(conns.flatMap((c, i) => Array.from({ length: 5 }, (_, k) => startTrial(c, sweep.id, newTrial(i * 5 + k)))));
          assert.deepEqual(started.map((t) => t.number).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
          const listed = await s.listTrials(sweep.id);
          assert.equal(new Set(listed.map((t) => t.configIndex)).size, 20);
        } finally {
          await Promise.all(conns.map((c) => c.close()));
        }
      });
    });

    it('a listing is one snapshot: a complete trial is listed with all its epochs while another connection writes', async () => {
      await withDb(async (s, db) => {
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        const writer = await db.open();
        try {
          let stop = false;
          const writing = (async () => {
            for (let i = 0; i < 25 && !stop; i++) {
              const t = await startTrial(writer, sweep.id, newTrial(i));
              const epochs = [1, 2, 3, 4].map((n) => epoch(n));
              await writer.completeTrial(t.id, 0.5, { val_accuracy: 0.5 }, epochs);
            }
          })();
          let reads = 0;
          while (reads < 200) {
            const trials = await s.listTrials(sweep.id, { withEpochs: true });
            for (const t of trials) if (t.state === 'complete') assert.equal(t.epochs!.length, 4, `trial ${t.number}`);
            reads++;
            if (trials.filter((t) => t.state === 'complete').length === 25) break;
          }
          stop = true;
          await writing;
        } finally {
          await writer.close();
        }
      });
    });

    it('keeps saved models in the database, or says it does not', async () => {
      await withDb(async (s) => assert.equal(s.models !== null, options.keepsModels));
    });

    if (options.keepsModels) it('a database that keeps models keeps them only for running trials, whole, and drops those of trials that did not complete', async () => {
      await withDb(async (s) => {
        if (!s.models) throw new Error('no model store');
        const sweep = await createSweep(s, loaded.spec, loaded.source);
        const [a, b, c] = [await startTrial(s, sweep.id, newTrial(0)), await startTrial(s, sweep.id, newTrial(1)), await startTrial(s, sweep.id, newTrial(2))];
        const files = [
          { name: 'model.json', data: Buffer.from('{"a":1}') },
          { name: 'weights.bin', data: Buffer.from([0, 1, 2, 255, 0]) },
        ];
        assert.equal(await s.models.save(a.id, files), 'db:trial-0000');
        assert.equal(await s.models.save(b.id, files), 'db:trial-0001');
        // Saved twice (a retried save): replaced, not doubled.
        assert.equal(await s.models.save(b.id, files.slice(1)), 'db:trial-0001');
        await s.completeTrial(a.id, 0.5, { val_accuracy: 0.5 }, []);
        assert.equal(await s.models.save(a.id, files), null, 'a complete trial does not change');
        await assert.rejects(s.models.save(c.id, [{ name: '../x', data: Buffer.alloc(1) }]), /not a plain file name/);
        assert.deepEqual(await s.models.load(a.id), files);
        assert.deepEqual(await s.models.load(b.id), files.slice(1));
        assert.equal(await s.models.load(c.id), null);
        assert.equal((await trialById(s, sweep.id, a.id))!.modelPath, 'db:trial-0000');
        await interruptAll(s, sweep.id);
        assert.equal(await s.models.removeOrphans(sweep.id), 1);
        assert.equal(await s.models.load(b.id), null);
        assert.equal((await trialById(s, sweep.id, b.id))!.modelPath, null);
        assert.deepEqual(await s.models.load(a.id), files);
        await s.models.remove(a.id);
        assert.equal(await s.models.load(a.id), null);
        assert.equal((await trialById(s, sweep.id, a.id))!.modelPath, null);
      });
    });

    it('opens read-only without writing: every write is refused', async () => {
      await withDb(async (s, db) => {
        await createSweep(s, loaded.spec, loaded.source);
        const r = await db.open({ readonly: true });
        try {
          assert.equal((await r.getSweep('st'))!.name, 'st');
          await assert.rejects(createSweep(r, { ...loaded.spec, name: 'other' }, ''));
          assert.deepEqual((await s.listSweeps()).map((x) => x.name), ['st']);
        } finally {
          await r.close();
        }
      });
    });
  });
}
