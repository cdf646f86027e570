/**
 * Storage in a PostgreSQL database (≥ 13), for sweeps shared by processes on several machines. The same
 * records and rules as the SQLite store: versioned migrations (a newer schema is refused), every write that
 * depends on a read in one transaction holding a row lock, each listing one snapshot (REPEATABLE READ), JSON
 * in jsonb, and every time taken from the database's clock so that machines with drifting clocks agree.
 *
 * The URL is libpq's (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`, `?host=/socket/dir` for a unix
 * socket); `?schema=NAME` keeps tfsweep's tables in that schema (created when missing).
 */
import type { StoredSpec, TrialSettlement } from '../core/records.js';
import { guardStorage } from './guard.js';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { StorageError, UsageError } from '../errors.js';
import type { Distribution } from '../space/distributions.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from './postgres-migrations.js';
import { claimViewOf, type ClaimView } from '../core/records.js';
import { normalizePostgresUrl, redactUrl } from './location.js';
import { HistoryCache, type HistoryDelta } from './history-cache.js';
import { waitForLock } from './lock-wait.js';
import { assembleTrials, nextRun, toProcess, toSweep, toTrial, type DecodeJson, type DistributionRow, type EpochRow, type ExecutionRow, type ParamRow, type ProcessRow, type SweepRow, type TrialRow } from './rows.js';

/** A trial row with its parameters aggregated in (TRIAL_WITH_PARAMS_SQL). */
type TrialWithParamsRow = TrialRow & { params: ParamRow[] };
/** The claim view's one row (CLAIM_VIEW_SQL); counts and values arrive as text or numbers by type. */
type ClaimViewRow = { completed: string | number; min_value: string | number | null; max_value: string | number | null; next_index: string | number; outside: string | number; running: number[]; reruns: ClaimView['reruns'] };
import { FinishedTrialError, MODEL_FILE_NAME, type AttemptRecord, type Checkpoint, type ClaimChoice, type InsertedTrial, type ModelFile, type ModelStore, type EpochRecord, type ExecutionRecord, type Metrics, type NewTrial, type ProcessIdentity, type ProcessRecord, type StopRequest, type Storage, type SweepRecord, type SweepState, type TrialRecord, type TrialState } from './storage.js';

type Client = pg.PoolClient;

// int8 (bigint) columns come back as strings by default; tfsweep's seeds and counts fit a double exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

/**
 * Every wait of a tfsweep session is bounded (see the README, "Nothing lost"): a lock is waited for 5 s at
 * a time (the call is then tried again, saying who holds it); a transaction left open by a client that
 * stopped (suspended, its machine lost) is ended by the server after 30 s, which releases its locks; no
 * statement runs longer than 10 minutes; and TCP keepalives find a peer that vanished in about a minute
 * instead of Linux's two hours.
 */
const SESSION_LIMITS =
  '-c lock_timeout=5000 -c idle_in_transaction_session_timeout=30000 -c statement_timeout=600000 ' +
  '-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3';

/** A lock id for migrations: one process migrates at a time, the others wait and then see the new version. */
const MIGRATION_LOCK = 0x7f5e_e701;

export class PostgresStorage implements Storage {
  readonly localFile = null;
  /** Models live in the database: every machine that reaches it reaches them. */
  readonly models: ModelStore = {
    save: (trialId, files) => this.saveModel(trialId, files),
    load: (trialId) => this.loadModel(trialId),
    remove: (trialId) => this.removeModel(trialId),
    removeOrphans: (sweepId) => this.removeOrphanModels(sweepId),
    put: async (trialId, files) => (await this.saveModel(trialId, files, true))!,
  };

  onNotice: ((message: string) => void) | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
    readonly schema: string,
    /** This store's application_name: the sessions a peer ends when it declares this process gone. */
    readonly session: string,
  ) {}

  static async connect(url: string, options: { readonly?: boolean } = {}): Promise<PostgresStorage> {
    let parsed: URL;
    try {
      parsed = new URL(normalizePostgresUrl(url));
    } catch {
      throw new UsageError(`--db ${redactUrl(url)}: not a valid postgres:// URL`);
    }
    const schema = parsed.searchParams.get('schema') ?? 'public';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) throw new UsageError(`--db: ?schema=${schema}: expected a plain identifier (letters, digits, _)`);
    parsed.searchParams.delete('schema');
    // sslmode means what it means to libpq (and psql): `require` encrypts without verifying the certificate.
    // pg would otherwise take it for verify-full, and print a multi-line warning saying so.
    if (parsed.searchParams.has('sslmode') && !parsed.searchParams.has('uselibpqcompat')) parsed.searchParams.set('uselibpqcompat', 'true');
    const shown = redactUrl(url);
    // Every connection starts with tfsweep's schema on its search path, and a reader's cannot write: set in
    // the connection's startup packet, before any query (the schema is a plain identifier, checked above).
    const startup = `-c search_path="${schema}" ${SESSION_LIMITS}${options.readonly ? ' -c default_transaction_read_only=on' : ''}`;
    const session = `tfsweep:${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      options: startup,
      application_name: session,
      keepAlive: true,
      keepAliveInitialDelayMillis: 30_000,
      max: 4,
      connectionTimeoutMillis: 15_000,
      idleTimeoutMillis: 10_000,
    });
    // An idle client losing its connection (server restarted) must not crash the process: the pool drops it.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      client.on('error', () => {});
    });
    const storage = new PostgresStorage(pool, shown, schema, session);
    guardStorage(storage);
    try {
      if (options.readonly) await storage.checkVersion(true);
      else await storage.migrate();
    } catch (err) {
      await pool.end().catch(() => {});
      throw connectProblem(shown, err);
    }
    return storage;
  }

  /** Applies the missing migrations, one process at a time (an advisory lock held for the transaction). */
  private async migrate(): Promise<void> {
    // Not retried: a server that cannot be reached when tfsweep starts is said at once.
    await this.txOnce(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await c.query(`SET LOCAL search_path TO "${this.schema}"`);
      await c.query('CREATE TABLE IF NOT EXISTS tfsweep_meta (key text PRIMARY KEY, value integer NOT NULL)');
      const version = await readVersion(c);
      refuseNewer(version, this.location);
      for (let v = version; v < PG_SCHEMA_VERSION; v++) await c.query(PG_MIGRATIONS[v]!);
      await c.query(`INSERT INTO tfsweep_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [PG_SCHEMA_VERSION]);
    }, 'READ COMMITTED');
  }

  private async checkVersion(readonly: boolean): Promise<void> {
    const c = await this.pool.connect();
    try {
      const exists = await c.query(`SELECT to_regclass($1) AS t`, [`"${this.schema}".tfsweep_meta`]);
      const version = exists.rows[0]!.t === null ? 0 : await readVersion(c);
      refuseNewer(version, this.location);
      if (version === 0) throw new UsageError(`${this.location}: holds no tfsweep tables${this.schema === 'public' ? '' : ` in schema ${this.schema}`}; run a sweep first`);
      if (readonly && version < PG_SCHEMA_VERSION) {
        throw new UsageError(`${this.location}: database schema version ${version} is older than this tfsweep's (${PG_SCHEMA_VERSION}); any \`tfsweep run\` with this database migrates it forward`);
      }
    } finally {
      c.release();
    }
  }

  /**
   * Runs fn in one transaction on one connection; rolls back on any error. When the server cannot be
   * reached (restarted, network cut) the whole transaction is tried again until it can, for up to
   * TFSWEEP_DB_RETRY_MS (default 2 minutes): a sweep rides out a database restart. `attempt` > 0 tells fn
   * that an earlier attempt may have committed before its connection dropped.
   */
  private async tx<T>(
    fn: (c: Client, attempt: number, prelude: pg.QueryResult[]) => Promise<T>,
    isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED',
    /** Statements without parameters sent with BEGIN in one round trip; fn gets their results. */
    prelude?: string,
  ): Promise<T> {
    return this.waitForLocks(() => retrying((attempt) => this.txOnce((c, results) => fn(c, attempt, results), isolation, prelude)));
  }

  /**
   * Runs one call again while it times out waiting for a lock (lock_timeout): another session holds it, for
   * as long as that session lives. The wait is said, naming tfsweep sessions left idle inside a transaction
   * (a suspended process); the server ends those after 30 s, and a peer ends them when it declares their
   * process gone, so the wait is bounded by the shorter of the two.
   */
  private waitForLocks<T>(call: () => Promise<T>): Promise<T> {
    return waitForLock(call, {
      locked: (err) => (err as { code?: unknown } | null)?.code === '55P03',
      held: async (waitedMs, sayWhy) => {
        if (!sayWhy || !this.onNotice) return false;
        this.onNotice(`waiting ${Math.round(waitedMs / 1000)} s for a lock in the database, held by ${await this.lockHolders()}`);
        return true;
      },
      // lock_timeout itself waited.
      pauseMs: () => 0,
    });
  }

  /** tfsweep sessions idle inside a transaction (the likely lock holders), as a person reads them. */
  private async lockHolders(): Promise<string> {
    try {
      const rows = (await this.pool.query<{ host: string | null; pid: number | null; idle_s: number }>(
        `SELECT p.host, p.pid, EXTRACT(EPOCH FROM now() - a.state_change)::integer AS idle_s
         FROM pg_stat_activity a LEFT JOIN processes p ON p.session = a.application_name AND p.state = 'running'
         WHERE a.application_name LIKE 'tfsweep:%' AND a.state LIKE 'idle in transaction%' AND a.pid <> pg_backend_pid()`,
      )).rows;
      if (!rows.length) return 'another session';
      return rows.map((r) => `${r.host ? `process ${r.host}/${r.pid}` : 'a tfsweep session'} (idle inside a transaction for ${r.idle_s} s: suspended?)`).join(', ');
    } catch {
      return 'another session';
    }
  }

  private async txOnce<T>(fn: (c: Client, prelude: pg.QueryResult[]) => Promise<T>, isolation: 'READ COMMITTED' | 'REPEATABLE READ', prelude?: string): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    try {
      let results: pg.QueryResult[] = [];
      // Without the BEGIN's own result: the prelude's statements' results, in order.
      if (prelude) results = ((await c.query(`BEGIN ISOLATION LEVEL ${isolation}; ${prelude}`)) as unknown as pg.QueryResult[]).slice(1);
      else await c.query(`BEGIN ISOLATION LEVEL ${isolation}`);
      const out = await fn(c, results);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }

  private async one<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R | undefined> {
    return (await this.q<R>(sql, params)).rows[0];
  }

  /** One statement (its own transaction), tried again while the server cannot be reached; rows typed as the caller's SQL selects them. */
  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.waitForLocks(() => retrying(() => this.pool.query<R>(sql, params)));
  }

  async joinSweep(spec: StoredSpec, source: string): Promise<{ sweep: SweepRecord; created: boolean }> {
    return this.tx(async (c) => {
      // A unique name and ON CONFLICT: of processes creating one sweep at once, exactly one inserts it.
      const inserted = await c.query<{ id: number }>(
        `INSERT INTO sweeps (name, method, metric_name, metric_goal, state, spec_source, spec_json, seed)
         VALUES ($1, $2, $3, $4, 'running', $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING id`,
        [spec.name, spec.method, spec.metric.name, spec.metric.goal, source, JSON.stringify(spec), spec.seed],
      );
      const created = inserted.rows.length > 0;
      if (created) await insertParameters(c, inserted.rows[0]!.id, spec);
      else await c.query(`UPDATE sweeps SET state = 'running', message = NULL, updated_at = now(), finished_at = NULL WHERE name = $1 AND state = 'stopped'`, [spec.name]);
      const row = (await c.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE name = $1`, [spec.name])).rows[0]!;
      return { sweep: sweepRow(row), created };
    });
  }

  async registerProcess(sweepId: number, identity: ProcessIdentity, workers: number, graceMs?: number): Promise<ProcessRecord> {
    const r = await this.q<{ id: number }>(
      `INSERT INTO processes (sweep_id, host, pid, token, workers, state, grace_ms, session) VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING id`,
      [sweepId, identity.host, identity.pid, identity.token, workers, graceMs === undefined ? null : Math.round(graceMs), this.session],
    );
    return (await this.listProcesses(sweepId)).find((p) => p.id === r.rows[0]!.id)!;
  }

  async beat(processId: number): Promise<{ gone: boolean; stop: StopRequest | null }> {
    const r = await this.q<{ stop: StopRequest | null }>(`UPDATE processes SET heartbeat_at = now() WHERE id = $1 AND state = 'running' RETURNING stop`, [processId]);
    if (!r.rows.length) return { gone: true, stop: 'now' };
    return { gone: false, stop: r.rows[0]!.stop ?? null };
  }

  async reap(sweepId: number, graceMs: number, deadLocally: (p: ProcessRecord) => boolean): Promise<number> {
    // Each process is judged by the grace it recorded, whatever this observer's own setting.
    const silence = `heartbeat_at < now() - make_interval(secs => COALESCE(grace_ms, $2)::double precision / 1000)`;
    // First the sessions of processes past their grace are ended: a process suspended inside a transaction
    // (or on a machine cut off) holds its locks until its session ends, and they may be the very locks that
    // declaring it gone, or any claim, waits for.
    const silent = (await this.q<{ session: string }>(`SELECT session FROM processes WHERE sweep_id = $1 AND state = 'running' AND session IS NOT NULL AND ${silence}`, [sweepId, graceMs])).rows;
    for (const { session } of silent) await this.endSessions(session);
    return this.tx(async (c) => {
      // NO KEY UPDATE: not blocked by the KEY SHARE lock a process's own trial insert takes on its row.
      const rows = (await c.query<ProcessRow & { silent: boolean }>(
        `SELECT ${PROCESS_COLUMNS}, ${silence} AS silent
         FROM processes p WHERE sweep_id = $1 AND state = 'running' ORDER BY id FOR NO KEY UPDATE`,
        [sweepId, graceMs],
      )).rows;
      let interrupted = 0;
      for (const row of rows) {
        const p = toProcess(row);
        const silent = row.silent === true;
        if (!silent && !deadLocally(p)) continue;
        await c.query(`UPDATE processes SET state = 'gone', ended_at = now() WHERE id = $1`, [p.id]);
        const reason = silent ? `its process (${p.host}/${p.pid}) stopped heartbeating` : `its process (${p.host}/${p.pid}) is gone`;
        const r = await c.query(
          `UPDATE trials SET state = 'interrupted', ended_at = now(), error = COALESCE(error, $2) WHERE process_id = $1 AND state = 'running'`,
          [p.id, reason],
        );
        interrupted += r.rowCount ?? 0;
      }
      // Running trials that no running process holds (whose process row was ended) have no lease to renew.
      const orphans = await c.query(
        `UPDATE trials SET state = 'interrupted', ended_at = now(), error = COALESCE(error, 'its process is gone')
         WHERE sweep_id = $1 AND state = 'running'
           AND (process_id IS NULL OR process_id NOT IN (SELECT id FROM processes WHERE state = 'running'))`,
        [sweepId],
      );
      return interrupted + (orphans.rowCount ?? 0);
    });
  }

  /** Ends the server sessions of another tfsweep process (declared gone), so that its locks go with them. */
  private async endSessions(session: string): Promise<void> {
    if (session === this.session) return;
    const pids = (await this.q<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [session])).rows;
    for (const { pid } of pids) {
      // Without the right to (another role's session, no pg_signal_backend), the server's own timeouts end it.
      await this.pool.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => {});
    }
  }

  async endProcess(processId: number): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query(
        `UPDATE trials SET state = 'interrupted', ended_at = now(), error = COALESCE(error, 'interrupted before it finished') WHERE process_id = $1 AND state = 'running'`,
        [processId],
      );
      await c.query(`UPDATE processes SET state = 'ended', ended_at = now() WHERE id = $1 AND state = 'running'`, [processId]);
      return r.rowCount ?? 0;
    });
  }

  async listProcesses(sweepId: number): Promise<ProcessRecord[]> {
    const rows = (await this.q<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes p WHERE sweep_id = $1 ORDER BY id`, [sweepId])).rows;
    return rows.map(toProcess);
  }

  async requestStop(sweepId: number, mode: StopRequest): Promise<number> {
    const r = await this.q(
      `UPDATE processes SET stop = CASE WHEN stop = 'now' THEN 'now' ELSE $2 END WHERE sweep_id = $1 AND state = 'running'`,
      [sweepId, mode],
    );
    return r.rowCount ?? 0;
  }

  async claimTrial(sweepId: number, processId: number, choose: (view: ClaimView) => ClaimChoice | null, options: { history?: boolean; maxAttempts?: number } = {}): Promise<TrialRecord | null> {
    if (!Number.isSafeInteger(sweepId)) throw new Error(`sweep id ${sweepId} is not an integer`);
    const maxAttempts = options.maxAttempts ?? 1;
    if (!Number.isSafeInteger(maxAttempts)) throw new Error(`max attempts ${maxAttempts} is not an integer`);
    // The sweep's row lock: one claim at a time per sweep, each deciding from everything claimed before it.
    // Without the history, the transaction's start, the lock and the view go in one round trip (a
    // multi-statement query takes no parameters: the integers are written into it).
    // With the history, the trials created or unsettled since the last claim (see HistoryCache) come in the
    // same round trip; the first claim reads them all.
    const delta = options.history ? this.histories.delta(sweepId) : null;
    const lock = `SELECT id FROM sweeps WHERE id = ${sweepId} FOR UPDATE`;
    const view = CLAIM_VIEW_SQL.replaceAll('$1', String(sweepId)).replaceAll('$MAX', String(maxAttempts));
    const prelude = !options.history ? `${lock}; ${view}` : delta ? `${lock}; ${historyDeltaSql(sweepId, delta)}` : lock;
    // Names this claim: when the connection drops after COMMIT was sent, the retry finds the trial the first
    // attempt recorded instead of claiming a second one that no worker would ever run.
    const token = randomUUID();
    return this.tx(async (c, attempt, results) => {
      const byToken = async () => (await c.query<TrialWithParamsRow>(`${TRIAL_WITH_PARAMS_SQL.replace('WHERE id = $1', 'WHERE sweep_id = $1 AND claim_token = $2')}`, [sweepId, token])).rows[0];
      if (attempt > 0) {
        const earlier = await byToken();
        if (earlier) return toTrial(earlier, earlier.params, await this.distributionsOf(c, sweepId), parsed);
      }
      let claimView: ClaimView;
      if (!options.history) claimView = toClaimView((results[1] as pg.QueryResult<ClaimViewRow>).rows[0]!);
      else {
        const read = delta
          ? assembleTrials({ trials: (results[1] as pg.QueryResult<TrialRow>).rows, params: (results[2] as pg.QueryResult<ParamRow>).rows }, await this.distributionsOf(c, sweepId), parsed)
          : await readTrials(c, sweepId, {});
        claimView = claimViewOf(this.histories.merge(sweepId, read), maxAttempts);
      }
      const choice = choose(claimView);
      if (!choice) return null;
      if ('reclaim' in choice) {
        await reclaimTrial(c, choice.reclaim, processId, token);
        const row = (await byToken())!;
        return toTrial(row, row.params, await this.distributionsOf(c, sweepId), parsed);
      }
      const trial = choice;
      const inserted = await insertTrialRow(c, sweepId, trial, processId, token);
      return {
        id: inserted.id,
        sweepId,
        number: inserted.number,
        configIndex: trial.configIndex,
        state: 'running',
        params: trial.params,
        distributions: trial.distributions,
        value: null,
        metrics: null,
        seed: trial.seed,
        backend: null,
        startedAt: inserted.started_at,
        endedAt: null,
        error: null,
        testMetrics: null,
        modelPath: null,
        processId,
      } satisfies TrialRecord;
    }, 'READ COMMITTED', prelude);
  }

  async insertTrials(sweepId: number, count: number, make: (i: number, configIndex: number) => InsertedTrial): Promise<TrialRecord[]> {
    const ids = await this.tx(async (c) => {
      await c.query('SELECT id FROM sweeps WHERE id = $1 FOR UPDATE', [sweepId]);
      const low = Number((await c.query<{ low: number }>('SELECT COALESCE(MIN(config_index), 0) AS low FROM trials WHERE sweep_id = $1', [sweepId])).rows[0]!.low);
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = make(i, Math.min(low, 0) - 1 - i);
        const { id } = await insertTrialRow(c, sweepId, t, null, null, t);
        if (t.epochs?.length) {
          await c.query(
            `INSERT INTO epochs (trial_id, execution, epoch, metrics_json, duration_ms, samples)
             SELECT $1, u.x, u.e, u.m, u.d, u.s FROM unnest($2::integer[], $3::integer[], $4::jsonb[], $5::double precision[], $6::integer[]) AS u(x, e, m, d, s)`,
            [id, t.epochs.map((e) => e.execution ?? 0), t.epochs.map((e) => e.epoch), t.epochs.map((e) => JSON.stringify(e.metrics)), t.epochs.map((e) => e.durationMs), t.epochs.map((e) => e.samples)],
          );
        }
        for (const x of t.executions ?? []) {
          await c.query('INSERT INTO executions (trial_id, execution, seed, value, metrics_json, stopped_epoch, best_epoch) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
            id, x.execution, x.seed, x.value, JSON.stringify(x.metrics), x.stoppedEpoch, x.bestEpoch,
          ]);
        }
        out.push(id);
      }
      return out;
    });
    const wanted = new Set(ids);
    return (await this.listTrials(sweepId)).filter((t) => wanted.has(t.id));
  }

  async saveCheckpoint(trialId: number, checkpoint: Checkpoint): Promise<void> {
    const r = await this.q(
      `INSERT INTO checkpoints (trial_id, execution, epoch, state_json, data)
       SELECT id, $2, $3, $4, $5 FROM trials WHERE id = $1 AND state = 'running'
       ON CONFLICT (trial_id) DO UPDATE SET execution = EXCLUDED.execution, epoch = EXCLUDED.epoch, state_json = EXCLUDED.state_json,
         data = EXCLUDED.data, created_at = now()`,
      [trialId, checkpoint.execution, checkpoint.epoch, JSON.stringify(checkpoint.state), checkpoint.data],
    );
    if (!r.rowCount) {
      const state = (await this.one<{ state: TrialState }>('SELECT state FROM trials WHERE id = $1', [trialId]))?.state;
      throw new FinishedTrialError(trialId, state ?? null, 'its checkpoint');
    }
  }

  async loadCheckpoint(trialId: number): Promise<Checkpoint | null> {
    const row = await this.one<{ execution: number; epoch: number; state_json: unknown; data: Buffer | null }>('SELECT execution, epoch, state_json, data FROM checkpoints WHERE trial_id = $1', [trialId]);
    return row ? { execution: row.execution, epoch: row.epoch, state: row.state_json, data: row.data ?? null } : null;
  }

  async setNote(sweepId: number, trialNumber: number | null, note: string | null): Promise<boolean> {
    const r = trialNumber === null
      ? await this.q('UPDATE sweeps SET note = $2 WHERE id = $1', [sweepId, note])
      : await this.q('UPDATE trials SET note = $3 WHERE sweep_id = $1 AND number = $2', [sweepId, trialNumber, note]);
    return (r.rowCount ?? 0) > 0;
  }

  async renameSweep(sweepId: number, name: string): Promise<void> {
    try {
      await this.q('UPDATE sweeps SET name = $2, updated_at = now() WHERE id = $1', [sweepId, name]);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new UsageError(`a sweep named "${name}" exists already in ${this.location}`);
      throw err;
    }
  }

  async deleteSweep(sweepId: number): Promise<void> {
    await this.q('DELETE FROM sweeps WHERE id = $1', [sweepId]);
  }

  private readonly histories = new HistoryCache();

  async runClock(sweepId: number, restart: boolean): Promise<number> {
    // Measured on the server's clock: machines whose clocks differ agree on the deadline.
    const row = await this.one<{ elapsed: string | number }>(
      `WITH r AS (UPDATE sweeps SET run_started_at = now() WHERE id = $1 AND $2 RETURNING run_started_at)
       SELECT EXTRACT(EPOCH FROM now() - COALESCE((SELECT run_started_at FROM r), (SELECT run_started_at FROM sweeps WHERE id = $1), now())) * 1000 AS elapsed`,
      [sweepId, restart],
    );
    return Math.max(0, Number(row?.elapsed ?? 0));
  }

  async finishSweep(sweepId: number, message: string): Promise<boolean> {
    const r = await this.q(
      `UPDATE sweeps SET state = 'finished', message = $2, updated_at = now(), finished_at = now() WHERE id = $1 AND state = 'running'`,
      [sweepId, message],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async getSweep(name: string): Promise<SweepRecord | undefined> {
    const row = await this.one<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE name = $1`, [name]);
    return row ? sweepRow(row) : undefined;
  }

  async listSweeps(): Promise<SweepRecord[]> {
    return (await this.q<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY id`)).rows.map(sweepRow);
  }

  async setSweepState(sweepId: number, state: SweepState, message: string | null = null): Promise<void> {
    // A finished sweep stays finished: a process closing after another finished it changes nothing.
    await this.q(
      `UPDATE sweeps SET state = $2, message = $3, updated_at = now(),
         finished_at = CASE WHEN $2 = 'running' THEN NULL ELSE now() END WHERE id = $1 AND state <> 'finished'`,
      [sweepId, state, message],
    );
  }

  async restateFinished(sweepId: number, message: string): Promise<void> {
    await this.q(`UPDATE sweeps SET message = $2, updated_at = now() WHERE id = $1 AND state = 'finished'`, [sweepId, message]);
  }

  async setTrialBackend(trialId: number, backend: string): Promise<void> {
    const r = await this.q(`UPDATE trials SET backend = $2 WHERE id = $1 AND state = 'running'`, [trialId, backend]);
    if (!r.rowCount) await this.refuse(trialId, 'its backend');
  }

  async recordEpoch(trialId: number, epoch: EpochRecord): Promise<void> {
    // One statement, so one transaction: the epoch is written only while the trial runs.
    const r = await this.q(
      `INSERT INTO epochs (trial_id, execution, epoch, metrics_json, duration_ms, samples)
       SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM trials WHERE id = $1 AND state = 'running')
       ON CONFLICT (trial_id, execution, epoch) DO NOTHING RETURNING 1`,
      [trialId, epoch.execution ?? 0, epoch.epoch, JSON.stringify(epoch.metrics), epoch.durationMs, epoch.samples],
    );
    if (!r.rowCount) {
      const state = (await this.one<{ state: TrialState }>('SELECT state FROM trials WHERE id = $1', [trialId]))?.state;
      if (state !== 'running') throw new FinishedTrialError(trialId, state ?? null, `epoch ${epoch.epoch}`);
    }
  }

  async completeTrial(trialId: number, value: number | readonly number[], metrics: Metrics, epochs: readonly EpochRecord[], executions: readonly ExecutionRecord[] = [], note: string | null = null): Promise<TrialSettlement> {
    const values = typeof value === 'number' ? null : [...value];
    return this.finish(trialId, 'complete', values ? values[0]! : (value as number), metrics, note, epochs, executions, null, values);
  }

  async pruneTrial(trialId: number, value: number | null, metrics: Metrics | null, epochs: readonly EpochRecord[], step: number): Promise<TrialSettlement> {
    return this.finish(trialId, 'pruned', value, metrics, null, epochs, [], step);
  }

  async failTrial(trialId: number, error: string, epochs: readonly EpochRecord[]): Promise<TrialSettlement> {
    return this.finish(trialId, 'failed', null, null, error, epochs);
  }

  private async finish(
    trialId: number,
    state: TrialState,
    value: number | null,
    metrics: Metrics | null,
    error: string | null,
    epochs: readonly EpochRecord[],
    executions: readonly ExecutionRecord[] = [],
    prunedStep: number | null = null,
    values: number[] | null = null,
  ): Promise<TrialSettlement> {
    // One statement, so one round trip and one transaction: the trial's row is locked, and the epochs, the
    // executions and the final state are written only if it is still running.
    return this.waitForLocks(() => retrying(async (attempt) => {
      const r = await this.pool.query<{ updated: string | number; before: TrialState | null; ended_at: string }>(
        `WITH t AS (SELECT id FROM trials WHERE id = $1 AND state = 'running' FOR UPDATE),
         e AS (
           INSERT INTO epochs (trial_id, execution, epoch, metrics_json, duration_ms, samples)
           SELECT t.id, u.x, u.e, u.m, u.d, u.s FROM t, unnest($2::integer[], $3::integer[], $4::jsonb[], $5::double precision[], $6::integer[]) AS u(x, e, m, d, s)
           ON CONFLICT (trial_id, execution, epoch) DO NOTHING),
         x AS (
           INSERT INTO executions (trial_id, execution, seed, value, metrics_json, stopped_epoch, best_epoch)
           SELECT t.id, v.n, v.seed, v.value, v.m, v.stopped, v.best FROM t,
             unnest($7::integer[], $8::bigint[], $9::double precision[], $10::jsonb[], $11::integer[], $12::integer[]) AS v(n, seed, value, m, stopped, best)
           ON CONFLICT (trial_id, execution) DO UPDATE SET seed = EXCLUDED.seed, value = EXCLUDED.value, metrics_json = EXCLUDED.metrics_json,
             stopped_epoch = EXCLUDED.stopped_epoch, best_epoch = EXCLUDED.best_epoch),
         ck AS (DELETE FROM checkpoints WHERE trial_id IN (SELECT id FROM t)),
         done AS (
           UPDATE trials SET state = $13, value = $14, metrics_json = $15, error = $16, ended_at = now(), pruned_step = $17, values_json = $18
           WHERE id IN (SELECT id FROM t) RETURNING id, ended_at)
         SELECT (SELECT COUNT(*) FROM done) AS updated, (SELECT state FROM trials WHERE id = $1) AS before,
           to_char(COALESCE((SELECT ended_at FROM done), (SELECT ended_at FROM trials WHERE id = $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended_at`,
        [
          trialId,
          epochs.map((e) => e.execution ?? 0),
          epochs.map((e) => e.epoch),
          epochs.map((e) => JSON.stringify(e.metrics)),
          epochs.map((e) => e.durationMs),
          epochs.map((e) => e.samples),
          executions.map((x) => x.execution),
          executions.map((x) => x.seed),
          executions.map((x) => x.value),
          executions.map((x) => JSON.stringify(x.metrics)),
          executions.map((x) => x.stoppedEpoch),
          executions.map((x) => x.bestEpoch),
          state,
          value,
          metrics ? JSON.stringify(metrics) : null,
          error,
          prunedStep,
          values ? JSON.stringify(values) : null,
        ],
      );
      const row = r.rows[0]!;
      const settled: TrialSettlement = { state, value, ...(values ? { values } : {}), metrics, error, endedAt: row.ended_at, prunedStep };
      if (Number(row.updated) > 0) return settled;
      const current = row.before ?? null;
      // A retry after a lost connection finds the result of the attempt that did commit: done already.
      if (attempt > 0 && current === state) return settled;
      throw new FinishedTrialError(trialId, current, `its ${state} result`);
    }));
  }

  async setTestMetrics(trialId: number, metrics: Metrics): Promise<void> {
    await this.q('UPDATE trials SET test_metrics_json = $2 WHERE id = $1', [trialId, JSON.stringify(metrics)]);
  }

  async setModelPath(trialId: number, path: string | null): Promise<void> {
    await this.q('UPDATE trials SET model_path = $2 WHERE id = $1', [trialId, path]);
  }

  private async saveModel(trialId: number, files: readonly ModelFile[], anyState = false): Promise<string | null> {
    for (const f of files) if (!MODEL_FILE_NAME.test(f.name)) throw new Error(`model file name ${JSON.stringify(f.name)} is not a plain file name`);
    // Tried again as a whole after a lost connection: the files are replaced, so a repeat stores the same.
    return this.tx(async (c) => {
      const row = (await c.query<{ number: number }>(`SELECT number FROM trials WHERE id = $1 ${anyState ? '' : "AND state = 'running'"} FOR UPDATE`, [trialId])).rows[0];
      if (!row) return null;
      const modelPath = `db:trial-${String(row.number).padStart(4, '0')}`;
      await c.query('DELETE FROM model_files WHERE trial_id = $1', [trialId]);
      for (const f of files) await c.query('INSERT INTO model_files (trial_id, name, data) VALUES ($1, $2, $3)', [trialId, f.name, f.data]);
      await c.query('UPDATE trials SET model_path = $2 WHERE id = $1', [trialId, modelPath]);
      return modelPath;
    });
  }

  private async loadModel(trialId: number): Promise<ModelFile[] | null> {
    const rows = (await this.q<{ name: string; data: Buffer }>('SELECT name, data FROM model_files WHERE trial_id = $1 ORDER BY name', [trialId])).rows;
    if (rows.length === 0) return null;
    // The names come from a database that others write: only plain file names are ever used as paths.
    for (const r of rows) if (!MODEL_FILE_NAME.test(r.name)) throw new StorageError(`${this.location}: trial id ${trialId}'s stored model has a file named ${JSON.stringify(r.name)}; refusing it`);
    return rows.map((r) => ({ name: r.name, data: r.data }));
  }

  private async removeModel(trialId: number): Promise<void> {
    await this.tx(async (c) => {
      await c.query('DELETE FROM model_files WHERE trial_id = $1', [trialId]);
      await c.query('UPDATE trials SET model_path = NULL WHERE id = $1', [trialId]);
    });
  }

  private async removeOrphanModels(sweepId: number): Promise<number> {
    const row = await this.one<{ n: string | number }>(
      `WITH gone AS (SELECT id FROM trials WHERE sweep_id = $1 AND state IN ('failed', 'interrupted')),
            files AS (DELETE FROM model_files WHERE trial_id IN (SELECT id FROM gone) RETURNING trial_id),
            paths AS (UPDATE trials SET model_path = NULL WHERE id IN (SELECT id FROM gone) AND model_path IS NOT NULL RETURNING id)
       SELECT (SELECT count(DISTINCT trial_id) FROM files) + (SELECT count(*) FROM paths WHERE id NOT IN (SELECT trial_id FROM files)) AS n`,
      [sweepId],
    );
    return Number(row?.n ?? 0);
  }

  private readonly distributions = new Map<number, Map<string, Distribution>>();

  /** A sweep's parameter distributions, which never change: read once per sweep. */
  private async distributionsOf(c: Client, sweepId: number): Promise<Map<string, Distribution>> {
    let dists = this.distributions.get(sweepId);
    if (!dists) {
      dists = await distributionsOf(c, sweepId);
      this.distributions.set(sweepId, dists);
    }
    return dists;
  }

  /** One REPEATABLE READ transaction: trials, params, epochs and executions are one snapshot. */
  async listTrials(sweepId: number, options: { withEpochs?: boolean; only?: HistoryDelta | null } = {}): Promise<TrialRecord[]> {
    return this.tx((c) => readTrials(c, sweepId, options), 'REPEATABLE READ');
  }

  private async refuse(trialId: number, what: string): Promise<never> {
    const state = (await this.q<{ state: TrialState }>('SELECT state FROM trials WHERE id = $1', [trialId])).rows[0]?.state;
    throw new FinishedTrialError(trialId, state ?? null, what);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const SWEEP_COLUMNS = `id, name, method, metric_name, metric_goal, state, spec_source, spec_json, seed, message, note,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
  to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
  to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS finished_at`;

const TRIAL_COLUMNS = `id, sweep_id, number, config_index, state, value, values_json, metrics_json, seed, backend, error, test_metrics_json, model_path, process_id, pruned_step,
  origin, attempt, attempts_json, note,
  to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
  to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended_at`;

/** One trial with its parameters (as a json array) in one row, by id. */
const TRIAL_WITH_PARAMS_SQL = `SELECT ${TRIAL_COLUMNS}, (SELECT COALESCE(json_agg(json_build_object('name', p.name, 'value_json', p.value_json) ORDER BY p.position), '[]')
  FROM trial_params p WHERE p.trial_id = trials.id) AS params FROM trials WHERE id = $1`;

async function insertTrialRow(c: Client, sweepId: number, trial: NewTrial, processId: number | null, claimToken: string | null = null, whole?: InsertedTrial): Promise<{ id: number; number: number; started_at: string }> {
  for (const [name, value] of Object.entries(trial.params)) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`parameter "${name}" of configuration ${trial.configIndex} is ${value}`);
  }
  // The trial and its parameter values in one statement.
  const names = Object.keys(trial.params);
  const row = whole
    ? `INSERT INTO trials (sweep_id, number, config_index, state, seed, process_id, claim_token, value, values_json, metrics_json, error, note, origin,
         test_metrics_json, pruned_step, backend, started_at, ended_at, attempt, attempts_json)
       VALUES ($1, (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE sweep_id = $1), $2, $8, $3, $4, $7, $9, $10, $11, $12, $13, $14,
         $15, $16, $17, $18::timestamptz, COALESCE($19::timestamptz, CASE WHEN $8 = 'queued' THEN NULL ELSE now() END), $20, $21)`
    : `INSERT INTO trials (sweep_id, number, config_index, state, seed, process_id, started_at, claim_token)
       VALUES ($1, (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE sweep_id = $1), $2, 'running', $3, $4, now(), $7)`;
  const wholeArgs = whole
    ? [
        whole.state, whole.value ?? null, whole.values ? JSON.stringify(whole.values) : null, whole.metrics ? JSON.stringify(whole.metrics) : null,
        whole.error ?? null, whole.note ?? null, whole.origin, whole.testMetrics ? JSON.stringify(whole.testMetrics) : null, whole.prunedStep ?? null,
        whole.backend ?? null, whole.startedAt ?? null, whole.endedAt ?? null, whole.attempt ?? 1, whole.attempts?.length ? JSON.stringify(whole.attempts) : null,
      ]
    : [];
  const inserted = await c.query<{ id: number; number: number; started_at: string }>(
    `WITH t AS (${row}
       RETURNING id, number, started_at),
     p AS (
       INSERT INTO trial_params (trial_id, name, position, value_json)
       SELECT t.id, n, o::integer, v FROM t, unnest($5::text[], $6::jsonb[]) WITH ORDINALITY AS p(n, v, o))
     SELECT id, number, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at FROM t`,
    [sweepId, trial.configIndex, trial.seed, processId, names, names.map((n) => JSON.stringify(trial.params[n])), claimToken, ...wholeArgs],
  );
  return inserted.rows[0]!;
}

const CLAIM_VIEW_SQL = `SELECT
       (SELECT COUNT(*) FROM trials WHERE sweep_id = $1 AND state IN ('complete', 'pruned')) AS completed,
       (SELECT MIN(value) FROM trials WHERE sweep_id = $1 AND state = 'complete') AS min_value,
       (SELECT MAX(value) FROM trials WHERE sweep_id = $1 AND state = 'complete') AS max_value,
       (SELECT GREATEST(COALESCE(MAX(config_index), -1), -1) + 1 FROM trials WHERE sweep_id = $1) AS next_index,
       (SELECT COUNT(*) FROM trials WHERE sweep_id = $1 AND config_index < 0) AS outside,
       (SELECT COALESCE(json_agg(config_index), '[]') FROM trials WHERE sweep_id = $1 AND state = 'running') AS running,
       (SELECT COALESCE(json_agg(json_build_object('trialId', r.id, 'configIndex', r.config_index, 'kind', r.kind,
            'params', (SELECT COALESCE(json_object_agg(p.name, p.value_json), '{}') FROM trial_params p WHERE p.trial_id = r.id)) ORDER BY r.rank, r.k), '[]') FROM (
          (SELECT DISTINCT ON (t.config_index) t.id, t.config_index, 'resume' AS kind, 0 AS rank, t.config_index AS k
           FROM trials t WHERE t.sweep_id = $1 AND t.state = 'interrupted'
             AND NOT EXISTS (SELECT 1 FROM trials u WHERE u.sweep_id = $1 AND u.config_index = t.config_index
                             AND u.state IN ('complete', 'pruned', 'failed', 'running'))
           ORDER BY t.config_index, t.id DESC)
          UNION ALL
          SELECT t.id, t.config_index, 'retry', 1, t.number FROM trials t
          WHERE t.sweep_id = $1 AND t.state = 'failed' AND t.attempt < $MAX
            AND NOT EXISTS (SELECT 1 FROM trials u WHERE u.sweep_id = $1 AND u.config_index = t.config_index
                            AND u.state IN ('complete', 'pruned', 'running'))
          UNION ALL
          SELECT t.id, t.config_index, 'queued', 2, t.number FROM trials t WHERE t.sweep_id = $1 AND t.state = 'queued') r) AS reruns`;

/**
 * Inside a claim's transaction: an interrupted, failed or queued trial runs again as the same trial (see the
 * SQLite store's reclaim: the run that ended goes to attempts_json; epochs after a checkpoint, or all of them
 * without one, are dropped).
 */
async function reclaimTrial(c: Client, trialId: number, processId: number, token: string): Promise<void> {
  const row = (await c.query<TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials WHERE id = $1 FOR UPDATE`, [trialId])).rows[0];
  if (!row || !['interrupted', 'failed', 'queued'].includes(row.state)) throw new Error(`trial id ${trialId} cannot be claimed again (it is ${row?.state ?? 'gone'})`);
  const cp = row.state === 'interrupted' ? (await c.query<{ execution: number; epoch: number }>('SELECT execution, epoch FROM checkpoints WHERE trial_id = $1', [trialId])).rows[0] : undefined;
  const { attempt, attempts } = nextRun(row, (row.attempts_json as AttemptRecord[] | null) ?? [], cp ? cp.epoch : null);
  if (row.state !== 'queued') {
    if (cp) await c.query('DELETE FROM epochs WHERE trial_id = $1 AND (execution > $2 OR (execution = $2 AND epoch > $3))', [trialId, cp.execution, cp.epoch]);
    else {
      await c.query('DELETE FROM epochs WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM executions WHERE trial_id = $1', [trialId]);
      await c.query('DELETE FROM checkpoints WHERE trial_id = $1', [trialId]);
    }
  }
  await c.query(
    `UPDATE trials SET state = 'running', process_id = $2, started_at = now(), ended_at = NULL, error = NULL, value = NULL, values_json = NULL,
       metrics_json = NULL, pruned_step = NULL, attempt = $3, attempts_json = $4, claim_token = $5 WHERE id = $1`,
    [trialId, processId, attempt, attempts.length ? JSON.stringify(attempts) : null, token],
  );
}

/** The history cache's delta as two statements (trials, then their params) with the integers written in. */
function historyDeltaSql(sweepId: number, delta: HistoryDelta): string {
  for (const n of [sweepId, delta.since, ...delta.unsettled]) if (!Number.isSafeInteger(n)) throw new Error(`trial id ${n} is not an integer`);
  const which = `t.sweep_id = ${sweepId} AND (t.id > ${delta.since}${delta.unsettled.length ? ` OR t.id IN (${delta.unsettled.join(', ')})` : ''})`;
  return `SELECT ${TRIAL_COLUMNS} FROM trials t WHERE ${which} ORDER BY number;
    SELECT p.trial_id, p.name, p.value_json FROM trial_params p JOIN trials t ON t.id = p.trial_id WHERE ${which} ORDER BY p.trial_id, p.position`;
}

function toClaimView(row: ClaimViewRow): ClaimView {
  return {
    completed: Number(row.completed),
    minValue: row.min_value === null ? null : Number(row.min_value),
    maxValue: row.max_value === null ? null : Number(row.max_value),
    nextIndex: Number(row.next_index),
    outside: Number(row.outside),
    runningConfigs: row.running,
    reruns: row.reruns,
    history: null,
  };
}

/** The sweep's trials in one query each for trials, params and (optionally) epochs and executions. */
async function readTrials(c: Client, sweepId: number, options: { withEpochs?: boolean; only?: HistoryDelta | null }): Promise<TrialRecord[]> {
  const { only } = options;
  // Only some trials (a HistoryCache's delta): those created since, and those not yet settled.
  const filter = only ? ' AND (t.id > $2 OR t.id = ANY($3::integer[]))' : '';
  const args = only ? [sweepId, only.since, only.unsettled] : [sweepId];
  const all = async <R extends pg.QueryResultRow>(sql: string): Promise<R[]> => (await c.query<R>(sql, args)).rows;
  const dists = await distributionsOf(c, sweepId);
  const rows = {
    params: await all<ParamRow>(`SELECT p.trial_id, p.name, p.value_json FROM trial_params p JOIN trials t ON t.id = p.trial_id WHERE t.sweep_id = $1${filter} ORDER BY p.trial_id, p.position`),
    ...(options.withEpochs
      ? {
          epochs: await all<EpochRow>(`SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = $1${filter} ORDER BY e.trial_id, e.execution, e.epoch`),
          executions: await all<ExecutionRow>(`SELECT x.* FROM executions x JOIN trials t ON t.id = x.trial_id WHERE t.sweep_id = $1${filter} ORDER BY x.trial_id, x.execution`),
        }
      : {}),
    trials: await all<TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM trials t WHERE sweep_id = $1${filter} ORDER BY number`),
  };
  return assembleTrials(rows, dists, parsed);
}

/** jsonb arrives decoded. */
// What the column holds is the record type the caller names: tfsweep wrote it from one.
const parsed: DecodeJson = <T>(value: unknown) => value as T;

const PROCESS_COLUMNS = `p.id, p.sweep_id, p.host, p.pid, p.token, p.workers, p.state, p.stop, p.grace_ms, p.session,
  to_char(p.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at,
  to_char(p.heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS heartbeat_at,
  to_char(p.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended_at,
  (SELECT COUNT(*) FROM trials t WHERE t.process_id = p.id AND t.state = 'running') AS running_trials,
  GREATEST(0, EXTRACT(EPOCH FROM now() - p.heartbeat_at) * 1000)::double precision AS silent_ms`;

async function insertParameters(c: Client, sweepId: number, spec: StoredSpec): Promise<void> {
  const names = Object.keys(spec.parameters);
  if (!names.length) return;
  await c.query(
    'INSERT INTO sweep_parameters (sweep_id, name, position, distribution_json) SELECT $1, n, o::integer - 1, d FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS p(n, d, o)',
    [sweepId, names, names.map((n) => JSON.stringify(spec.parameters[n]))],
  );
}

async function distributionsOf(c: Client, sweepId: number): Promise<Map<string, Distribution>> {
  const rows = (await c.query<DistributionRow>('SELECT name, distribution_json FROM sweep_parameters WHERE sweep_id = $1 ORDER BY position', [sweepId])).rows;
  return new Map(rows.map((r) => [r.name, parsed<Distribution>(r.distribution_json, 'sweep_parameters.distribution_json')]));
}

async function readVersion(c: Client): Promise<number> {
  const r = await c.query<{ value: number }>(`SELECT value FROM tfsweep_meta WHERE key = 'schema_version'`);
  return r.rows[0]?.value ?? 0;
}

function refuseNewer(version: number, location: string): void {
  if (version > PG_SCHEMA_VERSION) {
    throw new UsageError(`${location}: database schema version ${version} is newer than this tfsweep's (${PG_SCHEMA_VERSION}); upgrade tfsweep to use this database`);
  }
}

function sweepRow(row: SweepRow): SweepRecord {
  return toSweep(row, row.spec_json);
}

/** Errors that mean the server is (for now) out of reach, not that the request was wrong. */
export function isTransient(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|57P01|57P02|57P03|08\d\d\d)$/.test(code)) return true;
  return typeof e.message === 'string' && /Connection terminated|terminating connection|timeout exceeded when trying to connect|Client has encountered a connection error/.test(e.message);
}

function retryBudgetMs(): number {
  const n = Number(process.env.TFSWEEP_DB_RETRY_MS);
  return Number.isFinite(n) && n >= 0 && process.env.TFSWEEP_DB_RETRY_MS !== '' && process.env.TFSWEEP_DB_RETRY_MS !== undefined ? n : 120_000;
}

/** Calls fn until it succeeds or fails for a reason other than the server being out of reach. */
async function retrying<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
  const until = Date.now() + retryBudgetMs();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || Date.now() >= until) throw err;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** Math.min(attempt, 5))));
    }
  }
}

/**
 * A server that refuses the login, has no such database, or is not there: the URL is wrong, which is bad
 * input (exit 2, one line naming the database, never its password). A server that answers too slowly or
 * fails otherwise is a runtime failure (exit 1).
 */
function connectProblem(location: string, err: unknown): unknown {
  if (err instanceof UsageError) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const usage = (why: string): UsageError => new UsageError(`cannot use the PostgreSQL database ${location}: ${why}`, { cause: err });
  switch (e.code) {
    case '28P01':
      return usage(`the server refused the password (${message})`);
    case '28000':
      return usage(`the server refused the login (${message}); check the user name, and pg_hba.conf on the server`);
    case '3D000':
      return usage(`${message}; create it (createdb) or name another in the URL`);
    case '42501':
      return usage(`${message}; this user may not create tfsweep's tables here (ask for CREATE on the database or schema, or use ?schema=NAME)`);
    case 'ECONNREFUSED':
      return usage(`nothing listens at that address (${message}); is the server running, on that host and port?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return usage(`the host name does not resolve (${message})`);
    default:
      break;
  }
  // pg's words when the server asks for a password (SCRAM or md5) and the URL gives none.
  if (/client password must be a string|password authentication failed|no password supplied/.test(message)) {
    return usage('the server asks for a password and none was given: put it in the URL (postgres://USER:PASSWORD@HOST/DATABASE, URL-encoded) or in PGPASSWORD');
  }
  return new StorageError(`cannot use the PostgreSQL database ${location}: ${message}${e.code ? ` (${e.code})` : ''}`, { cause: err });
}
