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
];

export const SCHEMA_VERSION = MIGRATIONS.length;
