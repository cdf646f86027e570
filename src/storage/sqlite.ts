/**
 * SQLite storage (better-sqlite3). WAL mode with synchronous=NORMAL: a committed transaction survives the
 * process being killed, which is the failure an overnight sweep meets; every epoch is its own transaction.
 * Several processes may write one file (different sweeps, or a reader beside a writer): every transaction
 * that writes after reading takes the write lock first (IMMEDIATE), because a deferred one that upgrades a
 * stale read snapshot gets SQLITE_BUSY at once, without waiting on the busy timeout.
 */
import type { StoredSpec, TrialSettlement } from '../core/records.js';
import { STORAGE_CALLS, guardStorage } from './guard.js';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { UsageError, errnoCode } from '../errors.js';
import { graceOf, suspendedLocally } from '../core/ownership.js';
import { writeLockHolder } from './sqlite-lock.js';
import { waitForLock } from './lock-wait.js';
import type { Distribution, ParamValue, Params } from '../space/distributions.js';
import { MIGRATIONS, REBUILDS_PARENT, SCHEMA_VERSION } from './migrations.js';
import { claimViewOf, type AttemptRecord, type Checkpoint, type ClaimChoice, type ClaimView, type Rerun } from '../core/records.js';
import { HistoryCache, type HistoryDelta } from './history-cache.js';
import { assembleTrials, nextRun, toProcess, toSweep, toTrial, type DistributionRow, type EpochRow, type ExecutionRow, type ParamRow, type ProcessRow, type SweepRow, type TrialRow } from './rows.js';
import { FinishedTrialError, type InsertedTrial, type EpochRecord, type ExecutionRecord, type Metrics, type NewTrial, type ProcessIdentity, type ProcessRecord, type StopRequest, type Storage, type SweepRecord, type SweepState, type TrialRecord, type TrialState } from './storage.js';

const now = (): string => new Date().toISOString();

/**
 * How long one attempt waits inside SQLite for another process's transaction (this thread is blocked
 * meanwhile). A write that still finds the database locked waits on outside SQLite, with the event loop
 * free, saying who holds the lock: it never gives up (see waitForLock).
 */
const BUSY_TIMEOUT_MS = 1_000;
/** How long two processes creating one database at once retry switching it to WAL. */
const CREATE_TIMEOUT_MS = 30_000;
const OUR_TABLES = ['sweeps', 'trials', 'trial_params', 'epochs', 'executions', 'sweep_parameters', 'processes'];

import { SchemaVersionError } from './storage.js';

export { SchemaVersionError };

/**
 * Brings a database to the latest schema; refuses one written by a newer tfsweep rather than guess. The
 * version is read again inside an IMMEDIATE transaction, so two processes opening a new file at once do
 * not both run the same migration.
 */
export function migrate(db: Database.Database): { from: number; to: number } {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const first = version();
  refuseNewer(first, db.name);
  if (first === SCHEMA_VERSION) return { from: first, to: first };
  // PRAGMA foreign_keys is ignored inside a transaction: switched off before it, on again after.
  const rebuilds = [...REBUILDS_PARENT].some((v) => v > first);
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  if (rebuilds) db.pragma('foreign_keys = OFF');
  try {
    return db
      .transaction(() => {
        const from = version();
        refuseNewer(from, db.name);
        for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
        if (rebuilds) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length) throw new Error(`${db.name}: migrating to version ${SCHEMA_VERSION} would leave ${broken.length} row(s) referring to nothing; nothing was changed`);
        }
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
        return { from, to: SCHEMA_VERSION };
      })
      .immediate();
  } finally {
    if (rebuilds) db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
}

/** A database written by a newer tfsweep is refused, for reading and writing alike, rather than guessed at. */
function refuseNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new SchemaVersionError(`${file}: database schema version ${version} is newer than this tfsweep understands (${SCHEMA_VERSION}); upgrade tfsweep`);
  }
}

export interface SqliteOptions {
  /** Open an existing database only; a read-only command must not create files. */
  mustExist?: boolean;
  readonly?: boolean;
}

/** A SQLite error that says the file is not (or no longer) a usable database: the user's input, not a crash. */
function openProblem(file: string, err: unknown, readonly: boolean): UsageError | null {
  const code = errnoCode(err) ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return new UsageError(`${file}: not a tfsweep database (${message})`);
  if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') return new UsageError(`${file}: cannot open the database (${code}: ${message})`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new UsageError(`${file}: cannot ${readonly ? 'read' : 'write'} the database (${message})`);
  }
  return null;
}

/**
 * A WAL database that was closed cleanly is complete in its main file, but SQLite wants to create the
 * `-shm` file beside it even to read; on a read-only mount or folder that fails. The file is then read
 * into memory (its header marked as a rollback-journal database) and queried there.
 */
function openInMemoryCopy(file: string): Database.Database {
  const wal = `${file}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    throw new UsageError(
      `${file}: cannot read the database: its folder is read-only and it has unfinished writes in ${path.basename(wal)}; copy the database and its -wal file to a writable folder`,
    );
  }
  const bytes = readFileSync(file);
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return new Database(bytes, { readonly: true });
}

function openDatabase(file: string, options: SqliteOptions): Database.Database {
  const readonly = options.readonly ?? false;
  if (file !== ':memory:') {
    if (file.trim() === '') throw new UsageError('--db: expected a database file path, got an empty string');
    if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`${file}: is a folder, not a database file`);
    if (!options.mustExist) {
      const dir = path.dirname(path.resolve(file));
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new UsageError(`${file}: cannot create its folder ${dir} (${errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTDIR' ? 'a file is in the way' : String(errnoCode(err) ?? err)})`);
      }
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: options.mustExist ?? false, readonly });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    // The first read is where a file that is not a database, or an unreadable -shm, shows itself.
    db.pragma('user_version', { simple: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db?.close();
    const code = errnoCode(err) ?? '';
    if (readonly && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN'))) return openInMemoryCopy(file);
    throw openProblem(file, err, readonly) ?? err;
  }
}

/**
 * Switches a new database to WAL. Changing the journal mode needs the file to itself and SQLite does not
 * wait on the busy timeout for it, so two processes creating one database at once retry here.
 */
function setWal(db: Database.Database): void {
  const deadline = Date.now() + CREATE_TIMEOUT_MS;
  for (;;) {
    try {
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if (!(errnoCode(err) ?? '').startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function tableNames(db: Database.Database): string[] {
  return db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name);
}

/** A database at the current version that lacks one of its tables was damaged or edited: said in one line. */
function checkTables(db: Database.Database, file: string): void {
  const present = new Set(tableNames(db));
  const missing = OUR_TABLES.filter((t) => !present.has(t));
  if (missing.length) throw new UsageError(`${file}: the database is damaged: table(s) ${missing.join(', ')} missing`);
}

/** A SQLite file that holds other tables and no tfsweep schema is someone else's: never migrate it. */
function checkOurs(db: Database.Database, file: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
  const foreign = tableNames(db).filter((t) => !OUR_TABLES.includes(t) && !t.startsWith('sqlite_'));
  if (foreign.length) throw new UsageError(`${file}: not a tfsweep database (it holds other tables: ${foreign.slice(0, 5).join(', ')})`);
}

/** A process row's silence: milliseconds since its heartbeat, by the database's clock (`p` is `processes`). */
const SILENT_MS = `MAX(0, (julianday('now') - julianday(p.heartbeat_at)) * 86400000.0) AS silent_ms`;

export class SqliteStorage implements Storage {
  readonly db: Database.Database;
  private readonly stmts: Statements;

  constructor(
    readonly file: string,
    options: SqliteOptions = {},
  ) {
    // Every call of the Storage interface waits for the write lock rather than fail (see waitForLock), and
    // a driver's error leaves it as a DriverError.
    for (const name of STORAGE_CALLS) {
      if (name === 'close') continue;
      const call = this[name] as (...args: unknown[]) => Promise<unknown>;
      (this as Record<string, unknown>)[name] = (...args: unknown[]) => this.waitForLock(() => call.apply(this, args));
    }
    guardStorage(this);
    this.db = openDatabase(file, options);
    try {
      checkOurs(this.db, file);
      if (!options.readonly) {
        setWal(this.db);
        this.db.pragma('synchronous = NORMAL');
        migrate(this.db);
      } else {
        const version = this.db.pragma('user_version', { simple: true }) as number;
        refuseNewer(version, file);
        if (version === 0) throw new UsageError(`${file}: not a tfsweep database (it holds no tfsweep tables)`);
        if (version < SCHEMA_VERSION) {
          throw new SchemaVersionError(
            `${file}: database schema version ${version} is older than this tfsweep's (${SCHEMA_VERSION}); any \`tfsweep run\` with this database migrates it forward, keeping every row`,
          );
        }
      }
      checkTables(this.db, file);
    } catch (err) {
      this.db.close();
      throw openProblem(file, err, options.readonly ?? false) ?? err;
    }
    this.stmts = prepareStatements(this.db);
  }

  get location(): string {
    return this.file;
  }

  /** Models are folders beside the database file (see files/model-folders.ts), not rows. */
  readonly models = null;

  get localFile(): string | null {
    return this.file === ':memory:' ? null : this.file;
  }

  private insertSweep(spec: StoredSpec, source: string): SweepRecord {
    {
      {
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
        Object.entries(spec.parameters).forEach(([name, dist], i) => this.stmts.insertSweepParam.run(info.lastInsertRowid, name, i, JSON.stringify(dist)));
        return sweepRow(this.stmts.sweepById.get(info.lastInsertRowid)!);
      }
    }
  }

  /** Each parameter's distribution, as stored once for the sweep. */
  private distributionsOf(sweepId: number): Map<string, Distribution> {
    const out = new Map<string, Distribution>();
    for (const row of this.stmts.paramsOfSweepDef.all(sweepId)) out.set(row.name, stored<Distribution>(row.distribution_json, 'sweep_parameters.distribution_json'));
    return out;
  }

  async joinSweep(spec: StoredSpec, source: string): Promise<{ sweep: SweepRecord; created: boolean }> {
    // IMMEDIATE: the write lock is taken before the read, so two processes cannot both create the sweep.
    return this.db
      .transaction(() => {
        const existing = this.sweepNamed(spec.name);
        if (!existing) return { sweep: this.insertSweep(spec, source), created: true };
        if (existing.state === 'stopped') this.stmts.reopen.run({ id: existing.id, now: now() });
        return { sweep: sweepRow(this.stmts.sweepById.get(existing.id)!), created: false };
      })
      .immediate();
  }

  async registerProcess(sweepId: number, identity: ProcessIdentity, workers: number, graceMs?: number): Promise<ProcessRecord> {
    const t = now();
    const info = this.stmts.insertProcess.run({ sweep_id: sweepId, host: identity.host, pid: identity.pid, token: identity.token, workers, now: t, grace_ms: graceMs === undefined ? null : Math.round(graceMs) });
    return this.processesOf(sweepId).find((p) => p.id === Number(info.lastInsertRowid))!;
  }

  async beat(processId: number): Promise<{ gone: boolean; stop: StopRequest | null }> {
    return this.db
      .transaction(() => {
        const { changes } = this.stmts.beat.run({ id: processId, now: now() });
        if (!changes) return { gone: true, stop: 'now' as const };
        return { gone: false, stop: this.stmts.processById.get(processId)?.stop ?? null };
      })
      .immediate();
  }

  async reap(sweepId: number, graceMs: number, deadLocally: (p: ProcessRecord) => boolean): Promise<number> {
    return this.db
      .transaction(() => {
        let interrupted = 0;
        for (const p of this.processesOf(sweepId)) {
          if (p.state !== 'running') continue;
          // Each process is judged by the grace it recorded, whatever this observer's own setting.
          const silent = p.silentMs > (p.graceMs ?? graceMs);
          if (!silent && !deadLocally(p)) continue;
          const t = now();
          this.stmts.markProcess.run({ id: p.id, state: 'gone', now: t });
          const reason = silent ? `its process (${p.host}/${p.pid}) stopped heartbeating` : `its process (${p.host}/${p.pid}) is gone`;
          interrupted += this.stmts.interruptOfProcess.run({ id: p.id, now: t, reason }).changes;
        }
        // Running trials that no running process holds (written by an older tfsweep, or whose process row
        // was ended) have no lease that could ever be renewed.
        interrupted += this.stmts.interruptUnleased.run({ id: sweepId, now: now() }).changes;
        return interrupted;
      })
      .immediate();
  }

  async endProcess(processId: number): Promise<number> {
    return this.db
      .transaction(() => {
        const t = now();
        const n = this.stmts.interruptOfProcess.run({ id: processId, now: t, reason: 'interrupted before it finished' }).changes;
        this.stmts.markProcess.run({ id: processId, state: 'ended', now: t });
        return n;
      })
      .immediate();
  }

  async listProcesses(sweepId: number): Promise<ProcessRecord[]> {
    return this.processesOf(sweepId);
  }

  private processesOf(sweepId: number): ProcessRecord[] {
    return this.stmts.processesOfSweep.all(sweepId).map(toProcess);
  }

  async requestStop(sweepId: number, mode: StopRequest): Promise<number> {
    return this.stmts.requestStop.run({ id: sweepId, mode }).changes;
  }

  async claimTrial(sweepId: number, processId: number, choose: (view: ClaimView) => ClaimChoice | null, options: { history?: boolean; maxAttempts?: number } = {}): Promise<TrialRecord | null> {
    const maxAttempts = options.maxAttempts ?? 1;
    const id = this.db
      .transaction((): number | null => {
        const choice = choose(options.history ? claimViewOf(this.history(sweepId), maxAttempts) : this.claimView(sweepId, maxAttempts));
        if (!choice) return null;
        if ('reclaim' in choice) return this.reclaim(choice.reclaim, processId);
        return this.insertTrial(sweepId, choice, processId);
      })
      .immediate();
    return id === null ? null : this.trialWithId(id)!;
  }

  /**
   * Inside the claim's transaction: an interrupted, failed or queued trial runs again, as the same trial. The
   * run that ended is kept in `attempts_json`. An interrupted trial with a checkpoint keeps its epochs up to
   * it (it resumes there); otherwise its epochs and executions go, and it starts again from the beginning.
   */
  private reclaim(trialId: number, processId: number): number {
    const row = this.stmts.trialById.get(trialId);
    if (!row || !['interrupted', 'failed', 'queued'].includes(row.state)) throw new Error(`trial id ${trialId} cannot be claimed again (it is ${row?.state ?? 'gone'})`);
    const cp = row.state === 'interrupted' ? this.stmts.checkpointPlace.get(trialId) : undefined;
    const { attempt, attempts } = nextRun(row, row.attempts_json ? stored<AttemptRecord[]>(row.attempts_json, 'trials.attempts_json') : [], cp ? cp.epoch : null);
    if (row.state !== 'queued') {
      if (cp) this.stmts.dropEpochsAfter.run({ id: trialId, execution: cp.execution, epoch: cp.epoch });
      else {
        this.stmts.dropEpochs.run(trialId);
        this.stmts.dropExecutions.run(trialId);
        this.stmts.dropCheckpoint.run(trialId);
      }
    }
    this.stmts.reclaimTrial.run({ id: trialId, process_id: processId, now: now(), attempt, attempts: attempts.length ? JSON.stringify(attempts) : null });
    return trialId;
  }

  async insertTrials(sweepId: number, count: number, make: (i: number, configIndex: number) => InsertedTrial): Promise<TrialRecord[]> {
    const ids = this.db
      .transaction((): number[] => {
        const { low } = this.stmts.lowestIndex.get(sweepId)!;
        const out: number[] = [];
        for (let i = 0; i < count; i++) {
          const t = make(i, Math.min(low, 0) - 1 - i);
          const id = this.insertTrial(sweepId, t, null, t);
          for (const epoch of t.epochs ?? []) this.stmts.insertEpoch.run(epochRow(id, epoch));
          for (const x of t.executions ?? []) this.stmts.insertExecution.run(executionRow(id, x));
          out.push(id);
        }
        return out;
      })
      .immediate();
    return ids.map((id) => this.trialWithId(id)!);
  }

  async saveCheckpoint(trialId: number, checkpoint: Checkpoint): Promise<void> {
    this.db
      .transaction(() => {
        this.mustBeRunning(trialId, this.stmts.isRunning.get(trialId) ? 1 : 0, 'its checkpoint');
        this.stmts.saveCheckpoint.run({ id: trialId, execution: checkpoint.execution, epoch: checkpoint.epoch, state: JSON.stringify(checkpoint.state), data: checkpoint.data, now: now() });
      })
      .immediate();
  }

  async loadCheckpoint(trialId: number): Promise<Checkpoint | null> {
    const row = this.stmts.loadCheckpoint.get(trialId);
    return row ? { execution: row.execution, epoch: row.epoch, state: stored<unknown>(row.state_json, 'checkpoints.state_json'), data: row.data ?? null } : null;
  }

  async setNote(sweepId: number, trialNumber: number | null, note: string | null): Promise<boolean> {
    const changes = trialNumber === null ? this.stmts.noteSweep.run(note, sweepId).changes : this.stmts.noteTrial.run(note, sweepId, trialNumber).changes;
    return changes > 0;
  }

  async renameSweep(sweepId: number, name: string): Promise<void> {
    try {
      this.stmts.renameSweep.run({ id: sweepId, name, now: now() });
    } catch (err) {
      if (errnoCode(err) === 'SQLITE_CONSTRAINT_UNIQUE') throw new UsageError(`a sweep named "${name}" exists already in ${this.location}`);
      throw err;
    }
  }

  async deleteSweep(sweepId: number): Promise<void> {
    this.stmts.deleteSweep.run(sweepId);
  }

  async runClock(sweepId: number, restart: boolean): Promise<number> {
    // One machine, one clock: the elapsed time is measured against this process's.
    const started = this.db
      .transaction(() => {
        if (restart) this.db.prepare('UPDATE sweeps SET run_started_at = ? WHERE id = ?').run(now(), sweepId);
        return this.db.prepare<[number], { run_started_at: string | null }>('SELECT run_started_at FROM sweeps WHERE id = ?').get(sweepId)?.run_started_at ?? null;
      })
      .immediate();
    return started === null ? 0 : Math.max(0, Date.now() - Date.parse(started));
  }

  async finishSweep(sweepId: number, message: string): Promise<boolean> {
    return this.stmts.finishSweep.run({ id: sweepId, message, now: now() }).changes > 0;
  }

  async getSweep(name: string): Promise<SweepRecord | undefined> {
    return this.sweepNamed(name);
  }

  private sweepNamed(name: string): SweepRecord | undefined {
    const row = this.stmts.sweepByName.get(name);
    return row ? sweepRow(row) : undefined;
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return this.stmts.allSweeps.all().map(sweepRow);
  }

  async setSweepState(sweepId: number, state: SweepState, message: string | null = null): Promise<void> {
    this.stmts.setSweepState.run({ id: sweepId, state, message, now: now() });
  }

  async restateFinished(sweepId: number, message: string): Promise<void> {
    this.stmts.restateFinished.run({ id: sweepId, message, now: now() });
  }

  onNotice: ((message: string) => void) | undefined;

  /**
   * Runs one storage call, waiting as long as another process holds the database's write lock: SQLite's own
   * wait blocks this thread, so past BUSY_TIMEOUT_MS the wait goes on here, with timers (the heartbeat, the
   * progress display) running. Every call is one statement or one IMMEDIATE transaction, rolled back whole
   * when it finds the lock taken, so it is safe to call again. The wait is said, naming the holder; a holder
   * that is a tfsweep process of this database, suspended on this host (Ctrl-Z, SIGSTOP) for longer than
   * its own lease grace, has lost its lease already and is ended, so that its lock goes with it.
   */
  private waitForLock<T>(call: () => Promise<T>): Promise<T> {
    return waitForLock(call, {
      locked: (err) => (errnoCode(err) ?? '').startsWith('SQLITE_BUSY') && this.db.open,
      held: (waitedMs, sayWhy) => this.lockHeld(waitedMs, sayWhy),
      // SQLite's busy timeout waited already (blocking); a short pause lets timers run between attempts.
      pauseMs: () => 50 + Math.random() * 100,
    });
  }

  /** Looks at who holds the write lock; ends a suspended tfsweep holder past its grace. True when it said something. */
  private lockHeld(waitedMs: number, sayWhy: boolean): boolean {
    const holder = this.file === ':memory:' ? null : writeLockHolder(this.file);
    const rows = holder === null || holder === process.pid ? [] : this.stmts.runningWithPid.all(holder);
    const proc = rows.map((r) => ({ ...toProcess(r), sweepName: r.sweep_name })).find((p) => suspendedLocally(p));
    const waited = `${Math.round(waitedMs / 1000)} s`;
    if (proc && proc.silentMs > graceOf(proc)) {
      try {
        process.kill(proc.pid, 'SIGKILL');
        this.onNotice?.(
          `ended process ${proc.host}/${proc.pid} (sweep ${proc.sweepName}): it was suspended (Ctrl-Z or SIGSTOP) while holding the database's write lock, silent for ${Math.round(proc.silentMs / 1000)} s, past its lease grace of ${Math.round(graceOf(proc) / 1000)} s; its trials run again`,
        );
        return true;
      } catch {
        // Not ours to signal (another user's process): keep waiting, and say so below.
      }
    }
    if (!sayWhy) return false;
    const who =
      holder === null
        ? 'another process'
        : proc
          ? `process ${proc.host}/${proc.pid} of sweep ${proc.sweepName}, which is suspended (Ctrl-Z or SIGSTOP): \`kill -CONT ${proc.pid}\` lets it go on, and it is ended once silent for ${Math.round(graceOf(proc) / 1000)} s (its lease grace)`
          : rows.length
            ? `process ${holder} (a tfsweep process of sweep ${rows[0]!.sweep_name})`
            : `process ${holder} (not a tfsweep process of this database)`;
    this.onNotice?.(`waiting ${waited} for the database's write lock, held by ${who}`);
    return true;
  }

  /** Inside a write transaction: the next-numbered trial, running, with its parameter values. */
  private insertTrial(sweepId: number, trial: NewTrial, processId: number | null, whole?: InsertedTrial): number {
    const { n } = this.stmts.nextNumber.get(sweepId)!;
    const info = whole
      ? this.stmts.insertWhole.run({
          sweep_id: sweepId,
          number: n,
          config_index: trial.configIndex,
          state: whole.state,
          seed: trial.seed,
          value: whole.value ?? null,
          values: whole.values ? JSON.stringify(whole.values) : null,
          metrics: whole.metrics ? JSON.stringify(whole.metrics) : null,
          error: whole.error ?? null,
          note: whole.note ?? null,
          origin: whole.origin,
          test_metrics: whole.testMetrics ? JSON.stringify(whole.testMetrics) : null,
          pruned_step: whole.prunedStep ?? null,
          backend: whole.backend ?? null,
          started_at: whole.startedAt ?? null,
          ended_at: whole.endedAt ?? (whole.state === 'queued' ? null : now()),
          attempt: whole.attempt ?? 1,
          attempts: whole.attempts?.length ? JSON.stringify(whole.attempts) : null,
        })
      : this.stmts.insertTrial.run({ sweep_id: sweepId, number: n, config_index: trial.configIndex, seed: trial.seed, process_id: processId, now: now() });
    const id = Number(info.lastInsertRowid);
    for (const [name, value] of Object.entries(trial.params)) {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`parameter "${name}" of configuration ${trial.configIndex} is ${value}`);
      this.stmts.insertParam.run(id, name, JSON.stringify(value));
    }
    return id;
  }

  async setTrialBackend(trialId: number, backend: string): Promise<void> {
    this.mustBeRunning(trialId, this.stmts.setBackend.run(backend, trialId).changes, 'its backend');
  }

  async recordEpoch(trialId: number, epoch: EpochRecord): Promise<void> {
    this.db.transaction(() => {
      this.mustBeRunning(trialId, this.stmts.isRunning.get(trialId) ? 1 : 0, `epoch ${epoch.epoch}`);
      this.stmts.insertEpoch.run(epochRow(trialId, epoch));
    }).immediate();
  }

  async completeTrial(trialId: number, value: number | readonly number[], metrics: Metrics, epochs: readonly EpochRecord[], executions: readonly ExecutionRecord[] = [], note: string | null = null): Promise<TrialSettlement> {
    const values = typeof value === 'number' ? null : [...value];
    return this.finish(trialId, 'complete', values ? values[0]! : (value as number), metrics, note, epochs, executions, null, values);
  }

  async setTestMetrics(trialId: number, metrics: Metrics): Promise<void> {
    this.stmts.setTestMetrics.run(JSON.stringify(metrics), trialId);
  }

  async setModelPath(trialId: number, path: string | null): Promise<void> {
    this.stmts.setModelPath.run(path, trialId);
  }

  async pruneTrial(trialId: number, value: number | null, metrics: Metrics | null, epochs: readonly EpochRecord[], step: number): Promise<TrialSettlement> {
    return this.finish(trialId, 'pruned', value, metrics, null, epochs, [], step);
  }

  async failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): Promise<TrialSettlement> {
    return this.finish(trialId, 'failed', null, null, error, epochs);
  }

  private finish(
    trialId: number,
    state: TrialState,
    value: number | null,
    metrics: Metrics | null,
    error: string | null,
    epochs: readonly EpochRecord[],
    executions: readonly ExecutionRecord[] = [],
    prunedStep: number | null = null,
    values: number[] | null = null,
  ): TrialSettlement {
    // Epoch messages and the final result travel on different channels; the result carries every epoch so
    // that any the messages have not delivered yet are written in the same transaction as the final state.
    const endedAt = now();
    const write = this.db.transaction(() => {
      this.mustBeRunning(trialId, this.stmts.isRunning.get(trialId) ? 1 : 0, `its ${state} result`);
      for (const epoch of epochs) this.stmts.insertEpoch.run(epochRow(trialId, epoch));
      for (const x of executions) this.stmts.insertExecution.run(executionRow(trialId, x));
      // A settled trial has no use for its checkpoint (a retried failure starts again from the beginning).
      this.stmts.dropCheckpoint.run(trialId);
      const { changes } = this.stmts.finishTrial.run({
        id: trialId,
        state,
        value,
        values: values ? JSON.stringify(values) : null,
        metrics: metrics ? JSON.stringify(metrics) : null,
        error,
        now: endedAt,
        pruned_step: prunedStep,
      });
      // Nothing else is written when the trial is not running: the transaction rolls back with the throw.
      this.mustBeRunning(trialId, changes, `its ${state} result`);
    });
    write.immediate();
    return { state, value, ...(values ? { values } : {}), metrics, error, endedAt, prunedStep };
  }

  /** One read transaction: the trials, params, epochs and executions are one snapshot of a database in use. */
  async listTrials(sweepId: number, options: { withEpochs?: boolean; only?: HistoryDelta | null } = {}): Promise<TrialRecord[]> {
    return this.db.transaction(() => this.readTrials(sweepId, options))();
  }

  /** The claim view computed by the database: counts and re-run candidates, not the rows of every trial. */
  private claimView(sweepId: number, maxAttempts: number): ClaimView {
    const { completed, next_index, min_value, max_value, outside } = this.stmts.claimCounts.get(sweepId)!;
    const runningConfigs = this.stmts.runningConfigs.all(sweepId).map((r) => r.config_index);
    const reruns = this.stmts.rerunCandidates.all({ id: sweepId, max_attempts: maxAttempts }).map((r): Rerun => {
      const params: Params = {};
      for (const p of this.stmts.paramsOfTrial.all(r.id)) params[p.name] = stored<ParamValue>(p.value_json, 'trial_params.value_json');
      return { trialId: r.id, configIndex: r.config_index, params, kind: r.kind };
    });
    return { completed, minValue: min_value, maxValue: max_value, runningConfigs, reruns, nextIndex: next_index, outside, history: null };
  }

  private readonly histories = new HistoryCache();

  /** The sweep's whole history, read in part (see HistoryCache); inside the claim's transaction. */
  private history(sweepId: number): TrialRecord[] {
    const delta = this.histories.delta(sweepId);
    return this.histories.merge(sweepId, this.readTrials(sweepId, { only: delta }));
  }

  private readTrials(sweepId: number, options: { withEpochs?: boolean; only?: HistoryDelta | null }): TrialRecord[] {
    const { only } = options;
    if (only) {
      // The history cache's delta: trials created since, and those not yet settled then.
      const args = { id: sweepId, since: only.since, unsettled: JSON.stringify(only.unsettled) };
      const rows = {
        trials: this.stmts.trialsSince.all(args),
        params: this.stmts.paramsSince.all(args),
        ...(options.withEpochs ? { epochs: this.stmts.epochsSince.all(args), executions: this.stmts.executionsSince.all(args) } : {}),
      };
      return assembleTrials(rows, this.distributionsOf(sweepId), stored);
    }
    const rows = {
      trials: this.stmts.trialsOfSweep.all(sweepId),
      params: this.stmts.paramsOfSweep.all(sweepId),
      ...(options.withEpochs ? { epochs: this.stmts.epochsOfSweep.all(sweepId), executions: this.stmts.executionsOfSweep.all(sweepId) } : {}),
    };
    return assembleTrials(rows, this.distributionsOf(sweepId), stored);
  }


  private trialWithId(trialId: number): TrialRecord | undefined {
    const row = this.stmts.trialById.get(trialId);
    return row ? toTrial(row, this.stmts.paramsOfTrial.all(trialId), this.distributionsOf(row.sweep_id), stored) : undefined;
  }

  /** A write to a trial that is not running (finished, interrupted, or unknown) is refused, never dropped. */
  private mustBeRunning(trialId: number, changes: number, what: string): void {
    if (changes > 0) return;
    throw new FinishedTrialError(trialId, this.stmts.trialById.get(trialId)?.state ?? null, what);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function epochRow(trialId: number, epoch: EpochRecord) {
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

function executionRow(trialId: number, x: ExecutionRecord) {
  return {
    trial_id: trialId,
    execution: x.execution,
    seed: x.seed,
    value: x.value,
    metrics: JSON.stringify(x.metrics),
    stopped_epoch: x.stoppedEpoch,
    best_epoch: x.bestEpoch,
  };
}

/** A JSON column as stored; text that is not JSON means an edited or damaged database, said in one line. */
function stored<T>(text: unknown, column: string): T {
  try {
    // What the column holds is the record type the caller names: tfsweep wrote it from one.
    return JSON.parse(String(text)) as T;
  } catch {
    throw new UsageError(`the database is damaged: a value in ${column} is not JSON (${JSON.stringify(String(text).slice(0, 40))})`);
  }
}

/** A sweeps row to its record; a spec_json that is not JSON is said damaged like one that is not a spec. */
function sweepRow(row: SweepRow): SweepRecord {
  return toSweep(row, specOf(row));
}

function specOf(row: SweepRow): unknown {
  try {
    return JSON.parse(String(row.spec_json));
  } catch {
    return null;
  }
}

/** The history cache's delta, as its statements bind it. */
type Delta = { id: number; since: number; unsettled: string };

/** Every statement the store runs, prepared once per connection; reads typed with the rows they return. */
function prepareStatements(db: Database.Database) {
  return { ...sweepStatements(db), ...processStatements(db), ...trialStatements(db), ...readStatements(db) };
}

function sweepStatements(db: Database.Database) {
  return {
    insertSweep: db.prepare(
      `INSERT INTO sweeps (name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, created_at, updated_at)
       VALUES (@name, @method, @metric_name, @metric_goal, 'running', @source, @spec, @seed, @now, @now)`,
    ),
    insertSweepParam: db.prepare('INSERT OR REPLACE INTO sweep_parameters (sweep_id, name, position, distribution_json) VALUES (?, ?, ?, ?)'),
    paramsOfSweepDef: db.prepare<[number], DistributionRow>('SELECT name, distribution_json FROM sweep_parameters WHERE sweep_id = ? ORDER BY position'),
    sweepByName: db.prepare<[string], SweepRow>('SELECT * FROM sweeps WHERE name = ?'),
    sweepById: db.prepare<[number | bigint], SweepRow>('SELECT * FROM sweeps WHERE id = ?'),
    allSweeps: db.prepare<[], SweepRow>('SELECT * FROM sweeps ORDER BY id'),
    // A finished sweep stays finished: a process closing after another finished it changes nothing.
    setSweepState: db.prepare(
      `UPDATE sweeps SET state = @state, message = @message, updated_at = @now,
         finished_at = CASE WHEN @state = 'running' THEN NULL ELSE @now END WHERE id = @id AND state <> 'finished'`,
    ),
    restateFinished: db.prepare(`UPDATE sweeps SET message = @message, updated_at = @now WHERE id = @id AND state = 'finished'`),
    reopen: db.prepare(`UPDATE sweeps SET state = 'running', message = NULL, updated_at = @now, finished_at = NULL WHERE id = @id`),
    finishSweep: db.prepare(
      `UPDATE sweeps SET state = 'finished', message = @message, updated_at = @now, finished_at = @now WHERE id = @id AND state = 'running'`,
    ),
  };
}

function processStatements(db: Database.Database) {
  return {
    insertProcess: db.prepare(
      `INSERT INTO processes (sweep_id, host, pid, token, workers, state, started_at, heartbeat_at, grace_ms)
       VALUES (@sweep_id, @host, @pid, @token, @workers, 'running', @now, @now, @grace_ms)`,
    ),
    processById: db.prepare<[number], ProcessRow>('SELECT * FROM processes WHERE id = ?'),
    runningWithPid: db.prepare<[number], ProcessRow & { sweep_name: string }>(
      `SELECT p.*, s.name AS sweep_name, ${SILENT_MS}
       FROM processes p JOIN sweeps s ON s.id = p.sweep_id WHERE p.pid = ? AND p.state = 'running' ORDER BY p.id`,
    ),
    processesOfSweep: db.prepare<[number], ProcessRow>(
      `SELECT p.*, (SELECT COUNT(*) FROM trials t WHERE t.process_id = p.id AND t.state = 'running') AS running_trials,
         ${SILENT_MS}
       FROM processes p WHERE p.sweep_id = ? ORDER BY p.id`,
    ),
    beat: db.prepare(`UPDATE processes SET heartbeat_at = @now WHERE id = @id AND state = 'running'`),
    markProcess: db.prepare(`UPDATE processes SET state = @state, ended_at = @now WHERE id = @id AND state = 'running'`),
    interruptOfProcess: db.prepare(
      `UPDATE trials SET state = 'interrupted', ended_at = @now, error = COALESCE(error, @reason) WHERE process_id = @id AND state = 'running'`,
    ),
    interruptUnleased: db.prepare(
      `UPDATE trials SET state = 'interrupted', ended_at = @now, error = COALESCE(error, 'its process is gone')
       WHERE sweep_id = @id AND state = 'running'
         AND (process_id IS NULL OR process_id NOT IN (SELECT id FROM processes WHERE state = 'running'))`,
    ),
    requestStop: db.prepare(
      `UPDATE processes SET stop = CASE WHEN stop = 'now' THEN 'now' ELSE @mode END WHERE sweep_id = @id AND state = 'running'`,
    ),
  };
}

function trialStatements(db: Database.Database) {
  return {
    nextNumber: db.prepare<[number], { n: number }>('SELECT COALESCE(MAX(number), -1) + 1 AS n FROM trials WHERE sweep_id = ?'),
    insertTrial: db.prepare(
      `INSERT INTO trials (sweep_id, number, config_index, state, seed, process_id, started_at)
       VALUES (@sweep_id, @number, @config_index, 'running', @seed, @process_id, @now)`,
    ),
    insertWhole: db.prepare(
      `INSERT INTO trials (sweep_id, number, config_index, state, seed, value, values_json, metrics_json, error, note, origin, test_metrics_json,
         pruned_step, backend, started_at, ended_at, attempt, attempts_json)
       VALUES (@sweep_id, @number, @config_index, @state, @seed, @value, @values, @metrics, @error, @note, @origin, @test_metrics,
         @pruned_step, @backend, @started_at, @ended_at, @attempt, @attempts)`,
    ),
    lowestIndex: db.prepare<[number], { low: number }>('SELECT COALESCE(MIN(config_index), 0) AS low FROM trials WHERE sweep_id = ?'),
    reclaimTrial: db.prepare(
      `UPDATE trials SET state = 'running', process_id = @process_id, started_at = @now, ended_at = NULL, error = NULL, value = NULL,
         values_json = NULL, metrics_json = NULL, pruned_step = NULL, attempt = @attempt, attempts_json = @attempts WHERE id = @id`,
    ),
    checkpointPlace: db.prepare<[number], { execution: number; epoch: number }>('SELECT execution, epoch FROM checkpoints WHERE trial_id = ?'),
    dropEpochsAfter: db.prepare('DELETE FROM epochs WHERE trial_id = @id AND (execution > @execution OR (execution = @execution AND epoch > @epoch))'),
    dropEpochs: db.prepare('DELETE FROM epochs WHERE trial_id = ?'),
    dropExecutions: db.prepare('DELETE FROM executions WHERE trial_id = ?'),
    dropCheckpoint: db.prepare('DELETE FROM checkpoints WHERE trial_id = ?'),
    saveCheckpoint: db.prepare(
      `INSERT OR REPLACE INTO checkpoints (trial_id, execution, epoch, state_json, data, created_at) VALUES (@id, @execution, @epoch, @state, @data, @now)`,
    ),
    loadCheckpoint: db.prepare<[number], { execution: number; epoch: number; state_json: string; data: Buffer | null }>(
      'SELECT execution, epoch, state_json, data FROM checkpoints WHERE trial_id = ?',
    ),
    noteSweep: db.prepare('UPDATE sweeps SET note = ? WHERE id = ?'),
    noteTrial: db.prepare('UPDATE trials SET note = ? WHERE sweep_id = ? AND number = ?'),
    renameSweep: db.prepare('UPDATE sweeps SET name = @name, updated_at = @now WHERE id = @id'),
    deleteSweep: db.prepare('DELETE FROM sweeps WHERE id = ?'),
    insertParam: db.prepare('INSERT INTO trial_params (trial_id, name, value_json) VALUES (?, ?, ?)'),
    setBackend: db.prepare("UPDATE trials SET backend = ? WHERE id = ? AND state = 'running'"),
    insertEpoch: db.prepare(
      `INSERT OR IGNORE INTO epochs (trial_id, execution, epoch, metrics_json, duration_ms, samples, created_at)
       VALUES (@trial_id, @execution, @epoch, @metrics, @duration_ms, @samples, @now)`,
    ),
    insertExecution: db.prepare(
      `INSERT OR REPLACE INTO executions (trial_id, execution, seed, value, metrics_json, stopped_epoch, best_epoch)
       VALUES (@trial_id, @execution, @seed, @value, @metrics, @stopped_epoch, @best_epoch)`,
    ),
    executionsOfSweep: db.prepare<[number], ExecutionRow>(
      `SELECT x.* FROM executions x JOIN trials t ON t.id = x.trial_id WHERE t.sweep_id = ? ORDER BY x.trial_id, x.execution`,
    ),
    setTestMetrics: db.prepare('UPDATE trials SET test_metrics_json = ? WHERE id = ?'),
    setModelPath: db.prepare('UPDATE trials SET model_path = ? WHERE id = ?'),
    finishTrial: db.prepare(
      `UPDATE trials SET state = @state, value = @value, values_json = @values, metrics_json = @metrics, error = @error, ended_at = @now, pruned_step = @pruned_step
       WHERE id = @id AND state = 'running'`,
    ),
    trialById: db.prepare<[number], TrialRow>('SELECT * FROM trials WHERE id = ?'),
    isRunning: db.prepare<[number], unknown>("SELECT 1 FROM trials WHERE id = ? AND state = 'running'"),
  };
}

function readStatements(db: Database.Database) {
  return {
    trialsOfSweep: db.prepare<[number], TrialRow>('SELECT * FROM trials WHERE sweep_id = ? ORDER BY number'),
    claimCounts: db.prepare<[number], { completed: number; next_index: number; min_value: number | null; max_value: number | null; outside: number }>(
      `SELECT COUNT(*) FILTER (WHERE state IN ('complete', 'pruned')) AS completed, MAX(COALESCE(MAX(config_index), -1), -1) + 1 AS next_index,
         MIN(value) FILTER (WHERE state = 'complete') AS min_value, MAX(value) FILTER (WHERE state = 'complete') AS max_value,
         COUNT(*) FILTER (WHERE config_index < 0) AS outside
       FROM trials WHERE sweep_id = ?`,
    ),
    runningConfigs: db.prepare<[number], { config_index: number }>(`SELECT config_index FROM trials WHERE sweep_id = ? AND state = 'running'`),
    // As claimViewOf computes them from a history: the latest interrupted trial of each configuration nothing
    // else has settled or runs (resumed), failed trials with attempts left (retried), enqueued ones; in that order.
    rerunCandidates: db.prepare<{ id: number; max_attempts: number }, { id: number; config_index: number; kind: Rerun['kind'] }>(
      `SELECT * FROM (
         SELECT MAX(t.id) AS id, t.config_index, 'resume' AS kind, 0 AS rank, t.config_index AS k FROM trials t
         WHERE t.sweep_id = @id AND t.state = 'interrupted'
           AND NOT EXISTS (SELECT 1 FROM trials u WHERE u.sweep_id = @id AND u.config_index = t.config_index
                           AND u.state IN ('complete', 'pruned', 'failed', 'running'))
         GROUP BY t.config_index
         UNION ALL
         SELECT t.id, t.config_index, 'retry', 1, t.number FROM trials t
         WHERE t.sweep_id = @id AND t.state = 'failed' AND t.attempt < @max_attempts
           AND NOT EXISTS (SELECT 1 FROM trials u WHERE u.sweep_id = @id AND u.config_index = t.config_index
                           AND u.state IN ('complete', 'pruned', 'running'))
         UNION ALL
         SELECT t.id, t.config_index, 'queued', 2, t.number FROM trials t WHERE t.sweep_id = @id AND t.state = 'queued'
       ) ORDER BY rank, k`,
    ),
    paramsOfSweep: db.prepare<[number], ParamRow>(
      `SELECT p.trial_id, p.name, p.value_json FROM trial_params p
       JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = ? ORDER BY p.rowid`,
    ),
    // The history cache's delta: trials created since, and those not yet settled then.
    trialsSince: db.prepare<Delta, TrialRow>(
      `SELECT * FROM trials WHERE sweep_id = @id AND (id > @since OR id IN (SELECT value FROM json_each(@unsettled))) ORDER BY number`,
    ),
    epochsSince: db.prepare<Delta, EpochRow>(
      `SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id
       WHERE t.sweep_id = @id AND (t.id > @since OR t.id IN (SELECT value FROM json_each(@unsettled))) ORDER BY e.trial_id, e.execution, e.epoch`,
    ),
    executionsSince: db.prepare<Delta, ExecutionRow>(
      `SELECT x.* FROM executions x JOIN trials t ON t.id = x.trial_id
       WHERE t.sweep_id = @id AND (t.id > @since OR t.id IN (SELECT value FROM json_each(@unsettled))) ORDER BY x.trial_id, x.execution`,
    ),
    paramsSince: db.prepare<Delta, ParamRow>(
      `SELECT p.trial_id, p.name, p.value_json FROM trial_params p JOIN trials t ON t.id = p.trial_id
       WHERE t.sweep_id = @id AND (t.id > @since OR t.id IN (SELECT value FROM json_each(@unsettled))) ORDER BY p.rowid`,
    ),
    paramsOfTrial: db.prepare<[number], ParamRow>('SELECT trial_id, name, value_json FROM trial_params WHERE trial_id = ? ORDER BY rowid'),
    epochsOfSweep: db.prepare<[number], EpochRow>(
      `SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY e.trial_id, e.execution, e.epoch`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;
