-- Runs, their event log, step metrics, evaluations, and the per-day run id counters.
-- ${blob} is the dialect's binary type (SQLite BLOB, PostgreSQL BYTEA) for protobuf bytes.
-- Released: never edit; add the next version instead.

CREATE TABLE runs (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(256) NOT NULL,
  method VARCHAR(32) NOT NULL,
  task VARCHAR(32) NOT NULL,
  state VARCHAR(32) NOT NULL,
  step BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  version BIGINT NOT NULL,
  last_sequence BIGINT NOT NULL,
  spec ${blob} NOT NULL,
  run ${blob} NOT NULL);

CREATE TABLE run_events (
  run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  sequence BIGINT NOT NULL,
  time_ms BIGINT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  event ${blob} NOT NULL,
  PRIMARY KEY (run_id, sequence));

CREATE TABLE run_steps (
  run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step BIGINT NOT NULL,
  reward_mean DOUBLE PRECISION NOT NULL,
  reward_max DOUBLE PRECISION NOT NULL,
  loss DOUBLE PRECISION NOT NULL,
  metrics ${blob} NOT NULL,
  PRIMARY KEY (run_id, step));

CREATE TABLE run_evaluations (
  run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  sequence BIGINT NOT NULL,
  step BIGINT NOT NULL,
  split VARCHAR(32) NOT NULL,
  dev_score DOUBLE PRECISION NOT NULL,
  evaluation ${blob} NOT NULL,
  PRIMARY KEY (run_id, sequence));

CREATE TABLE run_id_counters (
  day VARCHAR(8) NOT NULL PRIMARY KEY,
  last_value BIGINT NOT NULL);
