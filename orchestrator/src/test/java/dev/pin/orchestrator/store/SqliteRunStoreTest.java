package dev.pin.orchestrator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run store contract on a SQLite file in a temporary folder. */
class SqliteRunStoreTest extends RunStoreContract {
  @TempDir Path tmp;

  @Override
  JdbcRunStore open(TickingClock clock) {
    return JdbcRunStore.open("jdbc:sqlite:" + tmp.resolve("sub/runs.db"), new Properties(), clock);
  }

  @Override
  SqlDialect dialect() {
    return SqlDialect.SQLITE;
  }

  @Override
  Connection connect() throws Exception {
    return DriverManager.getConnection(jdbcUrl());
  }

  @Override
  String jdbcUrl() throws Exception {
    Files.createDirectories(tmp.resolve("sub"));
    return "jdbc:sqlite:" + tmp.resolve("sub/runs.db");
  }

  @Test
  void usesWalModeAndRecordsTheSchemaVersion() throws Exception {
    int latest;
    try (JdbcRunStore store = open(new TickingClock(T0))) {
      latest = store.latestSchemaVersion();
    }
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        assertEquals("wal", rs.getString(1));
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")) {
        int expected = 1;
        while (rs.next()) {
          assertEquals(Integer.toString(expected++), rs.getString(1));
          assertTrue(rs.getBoolean(2));
        }
        assertEquals(latest + 1, expected);
      }
    }
  }

  @Test
  void anOpenStoreHoldsNoWriteLockBetweenWrites() throws Exception {
    JdbcRunStore store = openTracked(new TickingClock(T0));
    store.createRun(spec("a"), java.util.Map.of());
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 0"); // fail at once if another connection holds the lock
      s.execute("BEGIN IMMEDIATE");
      s.execute("ROLLBACK");
    }
  }

  @Test
  void openSqliteCreatesTheFolder() {
    try (JdbcRunStore s = JdbcRunStore.openSqlite(tmp.resolve("a/b/pin.db"))) {
      assertEquals(s.latestSchemaVersion(), s.schemaVersion());
    }
  }

  @Test
  void twoStoresOnOneFileShareGaplessSequences() throws Exception {
    // Two stores stand for two orchestrator processes: only SQLite's locking (BEGIN IMMEDIATE,
    // busy timeout) keeps them apart, not the in-JVM write lock.
    JdbcRunStore first = openTracked(new TickingClock(T0));
    JdbcRunStore second = openTracked(new TickingClock(T0));
    String id = first.createRun(spec("shared"), java.util.Map.of()).getId();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<?>> futures = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        JdbcRunStore store = t % 2 == 0 ? first : second;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 30; i++) {
                    store.appendEvent(
                        id, dev.pin.v1.RunEvent.newBuilder().setMessage("m" + i).build());
                  }
                  return null;
                }));
      }
      for (java.util.concurrent.Future<?> f : futures) {
        f.get(120, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    java.util.List<dev.pin.v1.RunEvent> events = second.readEvents(id, 0, 1000);
    assertEquals(121, events.size());
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).getSequence());
    }
    assertEquals("run-20261123-0002", second.createRun(spec("next"), java.util.Map.of()).getId());
  }

  @Test
  void rejectsUnknownUrls() {
    assertThrows(IllegalArgumentException.class, () -> JdbcRunStore.open("jdbc:mysql://x/y"));
  }
}
