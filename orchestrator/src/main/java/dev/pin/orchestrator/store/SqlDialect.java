package dev.pin.orchestrator.store;

import java.sql.SQLException;

/**
 * The few places SQLite and PostgreSQL need different SQL: the binary column type and row locks.
 * Everything else (upserts with {@code ON CONFLICT … DO UPDATE}, {@code LIMIT ?}, {@code BIGINT},
 * {@code DOUBLE PRECISION}) is written once.
 */
enum SqlDialect {
  /** Embedded SQLite: writers are serialised by {@code BEGIN IMMEDIATE}, so no row locks. */
  SQLITE("BLOB", ""),
  /** PostgreSQL: {@code SELECT … FOR UPDATE} serialises writers of the same run. */
  POSTGRES("BYTEA", " FOR UPDATE");

  private final String blobType;
  private final String lockSuffix;

  SqlDialect(String blobType, String lockSuffix) {
    this.blobType = blobType;
    this.lockSuffix = lockSuffix;
  }

  /** The dialect of a JDBC URL. */
  static SqlDialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRES;
    }
    throw new IllegalArgumentException(
        "unsupported database URL '"
            + jdbcUrl
            + "': use jdbc:sqlite:<file> or jdbc:postgresql://<host>:<port>/<database>");
  }

  /** Column type for protobuf bytes ({@code ${blob}} in the migration scripts). */
  String blobType() {
    return blobType;
  }

  /** Appended to a SELECT that reads a row the transaction will update. */
  String lockSuffix() {
    return lockSuffix;
  }

  /**
   * Whether a failed transaction may succeed when run again: PostgreSQL serialisation failures and
   * deadlocks, which it asks clients to retry. SQLite has none: its busy timeout already waits for
   * another process's writer, and this store's own writers queue for one connection.
   */
  boolean retryable(SQLException e) {
    if (this != POSTGRES) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s
          && ("40001".equals(s.getSQLState()) || "40P01".equals(s.getSQLState()))) {
        return true;
      }
    }
    return false;
  }
}
