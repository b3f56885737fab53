package dev.pin.orchestrator.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The schema, as numbered migrations applied in order inside one transaction each and recorded in
 * {@code schema_version}. Never edit a released migration; append a new one.
 */
final class Migrations {
  /** One schema step. {@code ${BLOB}} stands for the dialect's binary type. */
  record Migration(int version, String description, List<String> statements) {}

  static final List<Migration> ALL =
      List.of(
          new Migration(
              1,
              "runs, event log, step metrics, evaluations, run id counters",
              List.of(
                  """
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
                    spec ${BLOB} NOT NULL,
                    run ${BLOB} NOT NULL)""",
                  """
                  CREATE TABLE run_events (
                    run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    sequence BIGINT NOT NULL,
                    time_ms BIGINT NOT NULL,
                    kind VARCHAR(32) NOT NULL,
                    event ${BLOB} NOT NULL,
                    PRIMARY KEY (run_id, sequence))""",
                  """
                  CREATE TABLE run_steps (
                    run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    step BIGINT NOT NULL,
                    reward_mean DOUBLE PRECISION NOT NULL,
                    reward_max DOUBLE PRECISION NOT NULL,
                    loss DOUBLE PRECISION NOT NULL,
                    metrics ${BLOB} NOT NULL,
                    PRIMARY KEY (run_id, step))""",
                  """
                  CREATE TABLE run_evaluations (
                    run_id VARCHAR(64) NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    sequence BIGINT NOT NULL,
                    step BIGINT NOT NULL,
                    split VARCHAR(32) NOT NULL,
                    dev_score DOUBLE PRECISION NOT NULL,
                    evaluation ${BLOB} NOT NULL,
                    PRIMARY KEY (run_id, sequence))""",
                  """
                  CREATE TABLE run_id_counters (
                    day VARCHAR(8) NOT NULL PRIMARY KEY,
                    last_value BIGINT NOT NULL)""")),
          new Migration(
              2,
              "indexes for ListRuns (newest first, by state)",
              List.of(
                  "CREATE INDEX runs_by_created ON runs (created_ms, id)",
                  "CREATE INDEX runs_by_state ON runs (state, created_ms, id)")));

  private Migrations() {}

  /** The schema version this code writes. */
  static int latest() {
    return ALL.get(ALL.size() - 1).version();
  }

  /** Creates the version table if needed; returns the database's current version. */
  static int currentVersion(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS schema_version ("
              + "version INTEGER NOT NULL PRIMARY KEY, "
              + "description VARCHAR(200) NOT NULL, "
              + "applied_ms BIGINT NOT NULL)");
      try (ResultSet rs = s.executeQuery("SELECT MAX(version) FROM schema_version")) {
        rs.next();
        return rs.getInt(1); // NULL reads as 0: a new database
      }
    }
  }

  /**
   * Applies one migration inside the caller's transaction. Inserting its version row first makes a
   * concurrent migrator of the same database fail on the primary key and roll back.
   */
  static void apply(Connection c, Migration m, SqlDialect dialect, long nowMs) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "INSERT INTO schema_version (version, description, applied_ms) VALUES (?, ?, ?)")) {
      p.setInt(1, m.version());
      p.setString(2, m.description());
      p.setLong(3, nowMs);
      p.executeUpdate();
    }
    try (Statement s = c.createStatement()) {
      for (String sql : m.statements()) {
        s.execute(sql.replace("${BLOB}", dialect.blobType()));
      }
    }
  }
}
