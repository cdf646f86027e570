/**
 * Schema migrations, applied in order; `PRAGMA user_version` is the number applied. Never edit a released
 * migration: add a new one. The README's "Database schema" section documents the result.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the first schema
  `
  CREATE TABLE sweeps (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    method       TEXT NOT NULL,
    metric_name  TEXT NOT NULL,
    metric_goal  TEXT NOT NULL CHECK (metric_goal IN ('maximize', 'minimize')),
    state        TEXT NOT NULL CHECK (state IN ('running', 'finished', 'stopped')),
    spec_source  TEXT NOT NULL,
    spec_json    TEXT NOT NULL,
    seed         INTEGER NOT NULL,
    message      TEXT,
    owner        TEXT,
    heartbeat_at TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    finished_at  TEXT
  );
  CREATE TABLE trials (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    config_index  INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('queued', 'running', 'complete', 'failed', 'interrupted')),
    value         REAL,
    metrics_json  TEXT,
    seed          INTEGER NOT NULL,
    backend       TEXT,
    started_at    TEXT,
    ended_at      TEXT,
    error         TEXT,
    UNIQUE (sweep_id, number)
  );
  CREATE INDEX trials_by_sweep_state ON trials (sweep_id, state);
  CREATE TABLE trial_params (
    trial_id           INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    value_json         TEXT NOT NULL,
    distribution_json  TEXT NOT NULL,
    PRIMARY KEY (trial_id, name)
  );
  CREATE TABLE epochs (
    trial_id      INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    epoch         INTEGER NOT NULL,
    metrics_json  TEXT NOT NULL,
    duration_ms   REAL,
    samples       INTEGER,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (trial_id, epoch)
  );
  `,
  // 2: repeated executions of a trial (executions_per_trial), where early stopping stopped, test-set metrics
  // and the saved model. Epochs gain an execution number (SQLite cannot change a primary key in place).
  `
  CREATE TABLE epochs_v2 (
    trial_id      INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    execution     INTEGER NOT NULL DEFAULT 0,
    epoch         INTEGER NOT NULL,
    metrics_json  TEXT NOT NULL,
    duration_ms   REAL,
    samples       INTEGER,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (trial_id, execution, epoch)
  );
  INSERT INTO epochs_v2 (trial_id, execution, epoch, metrics_json, duration_ms, samples, created_at)
    SELECT trial_id, 0, epoch, metrics_json, duration_ms, samples, created_at FROM epochs;
  DROP TABLE epochs;
  ALTER TABLE epochs_v2 RENAME TO epochs;
  CREATE TABLE executions (
    trial_id       INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    execution      INTEGER NOT NULL,
    seed           INTEGER NOT NULL,
    value          REAL,
    metrics_json   TEXT NOT NULL,
    stopped_epoch  INTEGER,
    best_epoch     INTEGER,
    PRIMARY KEY (trial_id, execution)
  );
  ALTER TABLE trials ADD COLUMN test_metrics_json TEXT;
  ALTER TABLE trials ADD COLUMN model_path TEXT;
  `,
  // 3: a parameter's distribution is stored once per sweep, not once per trial (a 10,000-value categorical
  // cost 49 KB a trial). The order of the sweep file's parameters is kept as `position`.
  `
  CREATE TABLE sweep_parameters (
    sweep_id           INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    position           INTEGER NOT NULL,
    distribution_json  TEXT NOT NULL,
    PRIMARY KEY (sweep_id, name)
  );
  INSERT INTO sweep_parameters (sweep_id, name, position, distribution_json)
    SELECT s.id, j.key, j.id, j.value FROM sweeps s, json_each(s.spec_json, '$.parameters') j
    WHERE json_valid(s.spec_json) AND json_type(s.spec_json, '$.parameters') = 'object';
  INSERT OR IGNORE INTO sweep_parameters (sweep_id, name, position, distribution_json)
    SELECT t.sweep_id, p.name, 1000000 + MIN(p.rowid), MIN(p.distribution_json)
    FROM trial_params p JOIN trials t ON t.id = p.trial_id GROUP BY t.sweep_id, p.name;
  CREATE TABLE trial_params_v3 (
    trial_id    INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    PRIMARY KEY (trial_id, name)
  );
  INSERT INTO trial_params_v3 (trial_id, name, value_json) SELECT trial_id, name, value_json FROM trial_params ORDER BY rowid;
  DROP TABLE trial_params;
  ALTER TABLE trial_params_v3 RENAME TO trial_params;
  `,
  `
  CREATE TABLE processes (
    id            INTEGER PRIMARY KEY,
    sweep_id      INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    token         TEXT NOT NULL,
    workers       INTEGER NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('running', 'ended', 'gone')),
    stop          TEXT CHECK (stop IN ('drain', 'now')),
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL,
    ended_at      TEXT
  );
  CREATE INDEX processes_by_sweep_state ON processes (sweep_id, state);
  ALTER TABLE trials ADD COLUMN process_id INTEGER REFERENCES processes(id);
  CREATE INDEX trials_by_sweep_config ON trials (sweep_id, config_index);
  UPDATE sweeps SET owner = NULL, heartbeat_at = NULL;
  `,
  // 5: the state "pruned" (SQLite cannot change a CHECK constraint in place: the table is rebuilt, with
  // foreign keys off so that dropping the old table does not cascade to the epochs), and the time a sweep's
  // current run began (max_time counts from it).
  `
  CREATE TABLE trials_v5 (
    id                 INTEGER PRIMARY KEY,
    sweep_id           INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    number             INTEGER NOT NULL,
    config_index       INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('queued', 'running', 'complete', 'failed', 'interrupted', 'pruned')),
    value              REAL,
    metrics_json       TEXT,
    seed               INTEGER NOT NULL,
    backend            TEXT,
    started_at         TEXT,
    ended_at           TEXT,
    error              TEXT,
    test_metrics_json  TEXT,
    model_path         TEXT,
    process_id         INTEGER REFERENCES processes(id),
    pruned_step        INTEGER,
    UNIQUE (sweep_id, number)
  );
  INSERT INTO trials_v5 (id, sweep_id, number, config_index, state, value, metrics_json, seed, backend, started_at, ended_at, error, test_metrics_json, model_path, process_id)
    SELECT id, sweep_id, number, config_index, state, value, metrics_json, seed, backend, started_at, ended_at, error, test_metrics_json, model_path, process_id FROM trials;
  DROP TABLE trials;
  ALTER TABLE trials_v5 RENAME TO trials;
  CREATE INDEX trials_by_sweep_state ON trials (sweep_id, state);
  CREATE INDEX trials_by_sweep_config ON trials (sweep_id, config_index);
  ALTER TABLE sweeps ADD COLUMN run_started_at TEXT;
  UPDATE sweeps SET run_started_at = updated_at;
  `,
  // 6: each process's own lease grace (every observer judges a process by its own setting) and its session.
  `
  ALTER TABLE processes ADD COLUMN grace_ms INTEGER;
  ALTER TABLE processes ADD COLUMN session TEXT;
  `,
  // 7: a value per objective (multi-objective sweeps, W&B's `metrics:`): a JSON array in the order of the
  // sweep's objectives; NULL for single-objective trials and every row written before.
  `
  ALTER TABLE trials ADD COLUMN values_json TEXT;
  `,
  // 8: a trial's whole life. `origin`: NULL (the sampler), 'enqueued' or 'imported'; `attempt` counts its runs
  // (retries and resumptions), `attempts_json` keeps how each earlier one ended; notes on sweeps and trials;
  // each running trial's last checkpoint (what an interrupted trial resumes from, on any machine).
  `
  ALTER TABLE trials ADD COLUMN origin TEXT;
  ALTER TABLE trials ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE trials ADD COLUMN attempts_json TEXT;
  ALTER TABLE trials ADD COLUMN note TEXT;
  ALTER TABLE sweeps ADD COLUMN note TEXT;
  CREATE TABLE checkpoints (
    trial_id    INTEGER PRIMARY KEY REFERENCES trials(id) ON DELETE CASCADE,
    execution   INTEGER NOT NULL,
    epoch       INTEGER NOT NULL,
    state_json  TEXT NOT NULL,
    data        BLOB,
    created_at  TEXT NOT NULL
  );
  `,
];

/** Migrations that rebuild a table others refer to: they run with foreign keys off (checked before commit). */
export const REBUILDS_PARENT: ReadonlySet<number> = new Set([5]);

export const SCHEMA_VERSION = MIGRATIONS.length;
