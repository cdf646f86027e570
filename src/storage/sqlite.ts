/**
 * SQLite storage (better-sqlite3). WAL mode with synchronous=NORMAL: a committed transaction survives the
 * process being killed, which is the failure an overnight sweep meets; every epoch is its own transaction.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Distribution, ParamValue, Params } from '../space/distributions.js';
import type { SweepSpec } from '../spec/types.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import type { EpochRecord, ExecutionRecord, Metrics, NewTrial, Storage, SweepRecord, SweepState, TrialRecord, TrialState } from './storage.js';

type Row = Record<string, unknown>;
const now = (): string => new Date().toISOString();

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

/** Brings a database to the latest schema; refuses one written by a newer tfsweep rather than guess. */
export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) {
    throw new SchemaVersionError(
      `${db.name}: database schema version ${from} is newer than this tfsweep understands (${SCHEMA_VERSION}); upgrade tfsweep`,
    );
  }
  for (let v = from; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return { from, to: SCHEMA_VERSION };
}

export interface SqliteOptions {
  /** Open an existing database only; a read-only command must not create files. */
  mustExist?: boolean;
  readonly?: boolean;
}

export class SqliteStorage implements Storage {
  readonly db: Database.Database;
  private readonly stmts;

  constructor(
    readonly file: string,
    options: SqliteOptions = {},
  ) {
    if (file !== ':memory:' && !options.mustExist) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file, { fileMustExist: options.mustExist ?? false, readonly: options.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      migrate(this.db);
    } else {
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        throw new SchemaVersionError(`${file}: database schema version ${version}, expected ${SCHEMA_VERSION}; run a sweep with this tfsweep to migrate it`);
      }
    }
    const db = this.db;
    this.stmts = {
      insertSweep: db.prepare(
        `INSERT INTO sweeps (name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, created_at, updated_at)
         VALUES (@name, @method, @metric_name, @metric_goal, 'running', @source, @spec, @seed, @now, @now)`,
      ),
      sweepByName: db.prepare('SELECT * FROM sweeps WHERE name = ?'),
      sweepById: db.prepare('SELECT * FROM sweeps WHERE id = ?'),
      allSweeps: db.prepare('SELECT * FROM sweeps ORDER BY id'),
      setSweepState: db.prepare(
        `UPDATE sweeps SET state = @state, message = @message, updated_at = @now,
           finished_at = CASE WHEN @state = 'running' THEN NULL ELSE @now END,
           owner = CASE WHEN @state = 'running' THEN owner ELSE NULL END WHERE id = @id`,
      ),
      claim: db.prepare(
        `UPDATE sweeps SET owner = @owner, heartbeat_at = @now, state = 'running', message = NULL, updated_at = @now,
           finished_at = NULL WHERE id = @id`,
      ),
      heartbeat: db.prepare('UPDATE sweeps SET heartbeat_at = @now WHERE id = @id AND owner = @owner'),
      interrupt: db.prepare(
        `UPDATE trials SET state = 'interrupted', ended_at = @now,
           error = COALESCE(error, 'interrupted before it finished') WHERE sweep_id = @id AND state IN ('queued', 'running')`,
      ),
      nextNumber: db.prepare('SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE sweep_id = ?'),
      insertTrial: db.prepare(
        `INSERT INTO trials (sweep_id, number, config_index, state, seed, started_at)
         VALUES (@sweep_id, @number, @config_index, 'running', @seed, @now)`,
      ),
      insertParam: db.prepare('INSERT INTO trial_params (trial_id, name, value_json, distribution_json) VALUES (?, ?, ?, ?)'),
      setBackend: db.prepare('UPDATE trials SET backend = ? WHERE id = ?'),
      insertEpoch: db.prepare(
        `INSERT OR IGNORE INTO epochs (trial_id, execution, epoch, metrics_json, duration_ms, samples, created_at)
         VALUES (@trial_id, @execution, @epoch, @metrics, @duration_ms, @samples, @now)`,
      ),
      insertExecution: db.prepare(
        `INSERT OR REPLACE INTO executions (trial_id, execution, seed, value, metrics_json, stopped_epoch, best_epoch)
         VALUES (@trial_id, @execution, @seed, @value, @metrics, @stopped_epoch, @best_epoch)`,
      ),
      executionsOfSweep: db.prepare(
        `SELECT x.* FROM executions x JOIN trials t ON t.id = x.trial_id WHERE t.sweep_id = ? ORDER BY x.trial_id, x.execution`,
      ),
      setTestMetrics: db.prepare('UPDATE trials SET test_metrics_json = ? WHERE id = ?'),
      setModelPath: db.prepare('UPDATE trials SET model_path = ? WHERE id = ?'),
      finishTrial: db.prepare(
        `UPDATE trials SET state = @state, value = @value, metrics_json = @metrics, error = @error, ended_at = @now
         WHERE id = @id AND state = 'running'`,
      ),
      trialById: db.prepare('SELECT * FROM trials WHERE id = ?'),
      trialsOfSweep: db.prepare('SELECT * FROM trials WHERE sweep_id = ? ORDER BY number'),
      paramsOfSweep: db.prepare(
        `SELECT p.trial_id, p.name, p.value_json, p.distribution_json FROM trial_params p
         JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = ? ORDER BY p.rowid`,
      ),
      paramsOfTrial: db.prepare('SELECT trial_id, name, value_json, distribution_json FROM trial_params WHERE trial_id = ? ORDER BY rowid'),
      epochsOfSweep: db.prepare(
        `SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY e.trial_id, e.execution, e.epoch`,
      ),
    };
  }

  createSweep(spec: SweepSpec, source: string): SweepRecord {
    const info = this.stmts.insertSweep.run({
      name: spec.name,
      method: spec.method,
      metric_name: spec.metric.name,
      metric_goal: spec.metric.goal,
      source,
      spec: JSON.stringify(spec),
      seed: spec.seed,
      now: now(),
    });
    return toSweep(this.stmts.sweepById.get(info.lastInsertRowid) as Row);
  }

  acquireSweep(
    spec: SweepSpec,
    source: string,
    owner: string,
    isStale: (sweep: SweepRecord) => boolean,
  ): { sweep: SweepRecord; created: boolean } | { busy: SweepRecord } {
    // IMMEDIATE: the write lock is taken before the read, so two processes cannot both see the sweep free.
    return this.db
      .transaction(() => {
        const existing = this.getSweep(spec.name);
        if (existing && existing.owner && existing.owner !== owner && !isStale(existing)) return { busy: existing };
        const sweep = existing ?? this.createSweep(spec, source);
        this.stmts.claim.run({ id: sweep.id, owner, now: now() });
        return { sweep: toSweep(this.stmts.sweepById.get(sweep.id) as Row), created: !existing };
      })
      .immediate();
  }

  heartbeat(sweepId: number, owner: string): void {
    this.stmts.heartbeat.run({ id: sweepId, owner, now: now() });
  }

  getSweep(name: string): SweepRecord | undefined {
    const row = this.stmts.sweepByName.get(name) as Row | undefined;
    return row ? toSweep(row) : undefined;
  }

  listSweeps(): SweepRecord[] {
    return (this.stmts.allSweeps.all() as Row[]).map(toSweep);
  }

  setSweepState(sweepId: number, state: SweepState, message: string | null = null): void {
    this.stmts.setSweepState.run({ id: sweepId, state, message, now: now() });
  }

  interruptActiveTrials(sweepId: number): number {
    return this.stmts.interrupt.run({ id: sweepId, now: now() }).changes;
  }

  startTrial(sweepId: number, trial: NewTrial): TrialRecord {
    const insert = this.db.transaction((): number => {
      const { n } = this.stmts.nextNumber.get(sweepId) as { n: number };
      const info = this.stmts.insertTrial.run({ sweep_id: sweepId, number: n, config_index: trial.configIndex, seed: trial.seed, now: now() });
      const id = Number(info.lastInsertRowid);
      for (const [name, value] of Object.entries(trial.params)) {
        this.stmts.insertParam.run(id, name, JSON.stringify(value), JSON.stringify(trial.distributions[name]));
      }
      return id;
    });
    const id = insert();
    return this.readTrial(id);
  }

  setTrialBackend(trialId: number, backend: string): void {
    this.stmts.setBackend.run(backend, trialId);
  }

  recordEpoch(trialId: number, epoch: EpochRecord): void {
    this.stmts.insertEpoch.run(epochRow(trialId, epoch));
  }

  completeTrial(trialId: number, value: number, metrics: Metrics, epochs: readonly EpochRecord[], executions: readonly ExecutionRecord[] = []): void {
    this.finish(trialId, 'complete', value, metrics, null, epochs, executions);
  }

  setTestMetrics(trialId: number, metrics: Metrics): void {
    this.stmts.setTestMetrics.run(JSON.stringify(metrics), trialId);
  }

  setModelPath(trialId: number, path: string | null): void {
    this.stmts.setModelPath.run(path, trialId);
  }

  failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): void {
    this.finish(trialId, 'failed', null, null, error, epochs);
  }

  private finish(
    trialId: number,
    state: TrialState,
    value: number | null,
    metrics: Metrics | null,
    error: string | null,
    epochs: readonly EpochRecord[],
    executions: readonly ExecutionRecord[] = [],
  ): void {
    // Epoch messages and the final result travel on different channels; the result carries every epoch so
    // that any the messages have not delivered yet are written in the same transaction as the final state.
    this.db.transaction(() => {
      for (const epoch of epochs) this.stmts.insertEpoch.run(epochRow(trialId, epoch));
      for (const x of executions) {
        this.stmts.insertExecution.run({
          trial_id: trialId,
          execution: x.execution,
          seed: x.seed,
          value: x.value,
          metrics: JSON.stringify(x.metrics),
          stopped_epoch: x.stoppedEpoch,
          best_epoch: x.bestEpoch,
        });
      }
      this.stmts.finishTrial.run({
        id: trialId,
        state,
        value,
        metrics: metrics ? JSON.stringify(metrics) : null,
        error,
        now: now(),
      });
    })();
  }

  listTrials(sweepId: number, options: { withEpochs?: boolean } = {}): TrialRecord[] {
    const params = new Map<number, Row[]>();
    for (const row of this.stmts.paramsOfSweep.all(sweepId) as Row[]) {
      const id = row.trial_id as number;
      if (!params.has(id)) params.set(id, []);
      params.get(id)!.push(row);
    }
    const epochs = new Map<number, EpochRecord[]>();
    const executions = new Map<number, ExecutionRecord[]>();
    if (options.withEpochs) {
      for (const row of this.stmts.epochsOfSweep.all(sweepId) as Row[]) {
        const id = row.trial_id as number;
        if (!epochs.has(id)) epochs.set(id, []);
        epochs.get(id)!.push(toEpoch(row));
      }
      for (const row of this.stmts.executionsOfSweep.all(sweepId) as Row[]) {
        const id = row.trial_id as number;
        if (!executions.has(id)) executions.set(id, []);
        executions.get(id)!.push({
          execution: row.execution as number,
          seed: row.seed as number,
          value: (row.value as number | null) ?? null,
          metrics: JSON.parse(row.metrics_json as string) as Metrics,
          stoppedEpoch: (row.stopped_epoch as number | null) ?? null,
          bestEpoch: (row.best_epoch as number | null) ?? null,
        });
      }
    }
    return (this.stmts.trialsOfSweep.all(sweepId) as Row[]).map((row) => {
      const trial = toTrial(row, params.get(row.id as number) ?? []);
      if (options.withEpochs) {
        trial.epochs = epochs.get(trial.id) ?? [];
        trial.executions = executions.get(trial.id) ?? [];
      }
      return trial;
    });
  }

  getTrial(trialId: number): TrialRecord | undefined {
    const row = this.stmts.trialById.get(trialId) as Row | undefined;
    return row ? toTrial(row, this.stmts.paramsOfTrial.all(trialId) as Row[]) : undefined;
  }

  private readTrial(id: number): TrialRecord {
    return this.getTrial(id)!;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function epochRow(trialId: number, epoch: EpochRecord): Row {
  return {
    trial_id: trialId,
    execution: epoch.execution ?? 0,
    epoch: epoch.epoch,
    metrics: JSON.stringify(epoch.metrics),
    duration_ms: epoch.durationMs,
    samples: epoch.samples,
    now: now(),
  };
}

function toSweep(row: Row): SweepRecord {
  return {
    id: row.id as number,
    name: row.name as string,
    method: row.method as string,
    metric: { name: row.metric_name as string, goal: row.metric_goal as 'maximize' | 'minimize' },
    state: row.state as SweepState,
    source: row.spec_source as string,
    spec: JSON.parse(row.spec_json as string) as SweepSpec,
    message: (row.message as string | null) ?? null,
    owner: (row.owner as string | null) ?? null,
    heartbeatAt: (row.heartbeat_at as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
  };
}

function toTrial(row: Row, paramRows: Row[]): TrialRecord {
  const params: Params = {};
  const distributions: Record<string, Distribution> = {};
  for (const p of paramRows) {
    params[p.name as string] = JSON.parse(p.value_json as string) as ParamValue;
    distributions[p.name as string] = JSON.parse(p.distribution_json as string) as Distribution;
  }
  return {
    id: row.id as number,
    sweepId: row.sweep_id as number,
    number: row.number as number,
    configIndex: row.config_index as number,
    state: row.state as TrialState,
    params,
    distributions,
    value: (row.value as number | null) ?? null,
    metrics: row.metrics_json ? (JSON.parse(row.metrics_json as string) as Metrics) : null,
    seed: row.seed as number,
    backend: (row.backend as string | null) ?? null,
    startedAt: (row.started_at as string | null) ?? null,
    endedAt: (row.ended_at as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    testMetrics: row.test_metrics_json ? (JSON.parse(row.test_metrics_json as string) as Metrics) : null,
    modelPath: (row.model_path as string | null) ?? null,
  };
}

function toEpoch(row: Row): EpochRecord {
  return {
    ...((row.execution as number) ? { execution: row.execution as number } : {}),
    epoch: row.epoch as number,
    metrics: JSON.parse(row.metrics_json as string) as Metrics,
    durationMs: (row.duration_ms as number | null) ?? null,
    samples: (row.samples as number | null) ?? null,
  };
}
