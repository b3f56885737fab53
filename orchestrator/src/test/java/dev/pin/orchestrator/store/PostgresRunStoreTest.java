package dev.pin.orchestrator.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;

/**
 * The run store contract on PostgreSQL: a PostgreSQL 14 server of the test class path ({@link
 * EmbeddedPostgres}), or the database {@code PIN_TEST_POSTGRES_URL} names, which the test may wipe
 * (e.g. {@code jdbc:postgresql://127.0.0.1:5432/pintest?user=pin}). Skipped only where neither is
 * there (the embedded binaries are for Linux x86-64).
 */
class PostgresRunStoreTest extends RunStoreContract {
  private static final String OVERRIDE = System.getenv("PIN_TEST_POSTGRES_URL");
  private String url;

  @BeforeEach
  void wipe() throws Exception {
    if (OVERRIDE != null && !OVERRIDE.isBlank()) {
      url = OVERRIDE;
    } else {
      String unavailable = EmbeddedPostgres.unavailable();
      assumeTrue(unavailable == null, () -> unavailable
          + "; set PIN_TEST_POSTGRES_URL to test PostgreSQL on a server of your own");
      url = EmbeddedPostgres.url();
    }
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(
          "DROP TABLE IF EXISTS run_events, run_steps, run_evaluations, runs, run_id_counters,"
              + " schema_version, flyway_schema_history CASCADE");
    }
  }

  @Override
  JdbcRunStore open(TickingClock clock) {
    return JdbcRunStore.open(url, new Properties(), clock);
  }

  @Override
  SqlDialect dialect() {
    return SqlDialect.POSTGRES;
  }

  @Override
  Connection connect() throws Exception {
    return DriverManager.getConnection(url);
  }

  @Override
  String jdbcUrl() {
    return url;
  }
}
