import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { parseSpecText } from '../../src/sweep-file/load.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { SchemaVersionError, SqliteStorage } from '../../src/storage/sqlite.js';
import { tempDir } from '../helpers.js';
import { createSweep, startTrial, interruptAll } from './fixtures.js';
import { bestFirst } from '../../src/core/records.js';
import { objectivesOf } from '../../src/core/metric.js';

const loaded = parseSpecText(
  'name: st\nmethod: grid\nseed: 5\nparameters:\n  units: {values: [8, 16]}\n  optimizer: {values: [adam, sgd]}\n',
  'st.yaml',
);
const dist = loaded.spec.parameters;
const newTrial = (configIndex: number) => ({
  configIndex,
  params: { units: 8, optimizer: 'adam' },
  distributions: { units: dist.units!, optimizer: dist.optimizer! },
  seed: 100 + configIndex,
});

/** A database file at an older schema `version`, holding the finished sweep "old" (id 1) and no trials. */
function oldDatabase(version: number): { file: string; db: Database.Database } {
  const file = path.join(tempDir(), `v${version}.db`);
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, version)) db.exec(m);
  db.pragma(`user_version = ${version}`);
  db.prepare(`INSERT INTO sweeps (id, name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, created_at, updated_at)
    VALUES (1, 'old', 'grid', 'val_accuracy', 'maximize', 'finished', '', ?, 1, 'now', '2026-01-01T00:00:00.000Z')`).run(JSON.stringify(loaded.spec));
  return { file, db };
}

describe('SQLite storage', () => {
  it('creates the schema at the current version, in WAL mode, and reopens without migrating again', async () => {
    const file = path.join(tempDir(), 'nested', 'db.sqlite');
    const s = new SqliteStorage(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    await createSweep(s, loaded.spec, loaded.source);
    await s.close();
    const again = new SqliteStorage(file);
    assert.equal((await again.listSweeps()).length, 1);
    assert.equal(again.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    again.close();
  });

  it('migrates a version-0 database and refuses one from a newer tfsweep', async () => {
    const dir = tempDir();
    const old = new Database(path.join(dir, 'v0.db'));
    old.close();
    const s = new SqliteStorage(path.join(dir, 'v0.db'));
    const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    assert.deepEqual(tables, ['checkpoints', 'epochs', 'executions', 'processes', 'sweep_parameters', 'sweeps', 'trial_params', 'trials']);
    await s.close();

    const newer = new Database(path.join(dir, 'v99.db'));
    newer.pragma('user_version = 99');
    newer.close();
    assert.throws(() => new SqliteStorage(path.join(dir, 'v99.db')), (err: unknown) => err instanceof SchemaVersionError && /newer than this tfsweep understands/.test(err.message));
  });

  it('migrates a version-1 database to the current version, keeping its epochs (as execution 0)', async () => {
    const file = path.join(tempDir(), 'v1.db');
    const v1 = new Database(file);
    v1.exec(MIGRATIONS[0]!);
    v1.pragma('user_version = 1');
    v1.prepare(`INSERT INTO sweeps (id, name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, created_at, updated_at)
      VALUES (1, 'old', 'grid', 'val_accuracy', 'maximize', 'finished', '', ?, 1, 'now', 'now')`).run(JSON.stringify(loaded.spec));
    v1.prepare(`INSERT INTO trials (id, sweep_id, number, config_index, state, value, seed) VALUES (1, 1, 0, 0, 'complete', 0.9, 7)`).run();
    v1.prepare(`INSERT INTO epochs (trial_id, epoch, metrics_json, created_at) VALUES (1, 1, '{"val_accuracy":0.9}', 'now')`).run();
    v1.close();
    const s = new SqliteStorage(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const [trial] = await s.listTrials(1, { withEpochs: true });
    assert.deepEqual(trial!.epochs, [{ epoch: 1, metrics: { val_accuracy: 0.9 }, durationMs: null, samples: null }]);
    assert.deepEqual(trial!.executions, []);
    assert.equal(trial!.testMetrics, null);
    await s.close();
  });

  it('migrates a version-4 database to 5 (the pruned state): every trial, parameter, epoch and execution kept, foreign keys on', async () => {
    const { file, db: v4 } = oldDatabase(4);
    v4.prepare(`INSERT INTO trials (id, sweep_id, number, config_index, state, value, seed, model_path) VALUES (7, 1, 0, 0, 'complete', 0.9, 7, '/m')`).run();
    v4.prepare(`INSERT INTO trial_params (trial_id, name, value_json) VALUES (7, 'units', '8')`).run();
    v4.prepare(`INSERT INTO epochs (trial_id, execution, epoch, metrics_json, created_at) VALUES (7, 0, 1, '{"val_accuracy":0.9}', 'now'), (7, 1, 1, '{"val_accuracy":0.8}', 'now')`).run();
    v4.prepare(`INSERT INTO executions (trial_id, execution, seed, value, metrics_json) VALUES (7, 0, 1, 0.9, '{}'), (7, 1, 2, 0.8, '{}')`).run();
    v4.close();
    const s = new SqliteStorage(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    const [trial] = await s.listTrials(1, { withEpochs: true });
    assert.equal(trial!.id, 7);
    assert.equal(trial!.modelPath, '/m');
    assert.deepEqual(trial!.params, { units: 8 });
    assert.equal(trial!.epochs!.length, 2);
    assert.equal(trial!.executions!.length, 2);
    assert.deepEqual(s.db.pragma('foreign_key_check'), []);
    assert.deepEqual(s.db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    const indexes = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'trials' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    assert.deepEqual(indexes, ['trials_by_sweep_config', 'trials_by_sweep_state']);
    // Deleting the sweep still cascades to its trials' rows: the rebuilt table kept its references.
    s.db.prepare('DELETE FROM sweeps WHERE id = 1').run();
    assert.equal((s.db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number }).n, 0);
    await s.close();
  });

  it('migrates a version-6 database to 7 (a value per objective): old trials read as before, their values absent', async () => {
    const { file, db: v6 } = oldDatabase(6);
    v6.prepare(`INSERT INTO trials (id, sweep_id, number, config_index, state, value, metrics_json, seed) VALUES (1, 1, 0, 0, 'complete', 0.8, '{"val_accuracy":0.8}', 1), (2, 1, 1, 1, 'complete', 0.9, '{"val_accuracy":0.9}', 2)`).run();
    v6.close();
    const s = new SqliteStorage(file);
    assert.equal(s.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const trials = await s.listTrials(1);
    assert.deepEqual(trials.map((t) => [t.value, t.values]), [[0.8, undefined], [0.9, undefined]]);
    assert.deepEqual(bestFirst(objectivesOf((await s.getSweep('old'))!.spec), trials).map((t) => t.number), [1, 0]);
    await s.close();
  });

  it('stores the spec as given and as parsed', async () => {
    const s = new SqliteStorage(':memory:');
    const sweep = await createSweep(s, loaded.spec, loaded.source);
    assert.equal(sweep.source, loaded.source);
    assert.deepEqual(sweep.spec, loaded.spec);
    assert.deepEqual(sweep.metric, { name: 'val_accuracy', goal: 'maximize' });
    assert.equal(sweep.state, 'running');
    await s.close();
  });

  it('numbers trials from 0 and keeps params with their distributions, in order', async () => {
    const s = new SqliteStorage(':memory:');
    const sweep = await createSweep(s, loaded.spec, loaded.source);
    const t0 = await startTrial(s, sweep.id, newTrial(0));
    const t1 = await startTrial(s, sweep.id, newTrial(1));
    assert.equal(t0.number, 0);
    assert.equal(t1.number, 1);
    assert.equal(t1.state, 'running');
    assert.deepEqual(t1.params, { units: 8, optimizer: 'adam' });
    assert.deepEqual(Object.keys(t1.params), ['units', 'optimizer']);
    assert.deepEqual(t1.distributions.optimizer, { type: 'categorical', values: ['adam', 'sgd'] });
    assert.equal(t1.seed, 101);
    await s.close();
  });

  it('writes one row per epoch, however often an epoch is reported', async () => {
    const s = new SqliteStorage(':memory:');
    const sweep = await createSweep(s, loaded.spec, loaded.source);
    const t = await startTrial(s, sweep.id, newTrial(0));
    const e1 = { epoch: 1, metrics: { loss: 0.5, val_accuracy: 0.8 }, durationMs: 10, samples: 100 };
    const e2 = { epoch: 2, metrics: { loss: 0.4, val_accuracy: 0.85 }, durationMs: 11, samples: 100 };
    await s.recordEpoch(t.id, e1);
    await s.recordEpoch(t.id, e1);
    await s.completeTrial(t.id, 0.85, e2.metrics, [e1, e2]);
    const [trial] = await s.listTrials(sweep.id, { withEpochs: true });
    assert.equal(trial!.state, 'complete');
    assert.equal(trial!.value, 0.85);
    assert.deepEqual(trial!.metrics, e2.metrics);
    assert.deepEqual(trial!.epochs, [e1, e2]);
    assert.equal((s.db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number }).n, 2);
    await s.close();
  });

  it('marks running trials interrupted, leaving finished ones alone', async () => {
    const s = new SqliteStorage(':memory:');
    const sweep = await createSweep(s, loaded.spec, loaded.source);
    const done = await startTrial(s, sweep.id, newTrial(0));
    await s.completeTrial(done.id, 0.9, { val_accuracy: 0.9 }, []);
    await startTrial(s, sweep.id, newTrial(1));
    assert.equal(await interruptAll(s, sweep.id), 1);
    assert.deepEqual((await s.listTrials(sweep.id)).map((t) => t.state), ['complete', 'interrupted']);
    assert.equal(await interruptAll(s, sweep.id), 0);
    await s.close();
  });

});
