package dev.pin.orchestrator.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.BeforeEach;

/**
 * The run store contract on PostgreSQL, when {@code PIN_TEST_POSTGRES_URL} names a database the
 * test may wipe (e.g. {@code jdbc:postgresql://127.0.0.1:5432/pintest?user=pin}); skipped
 * otherwise.
 */
class PostgresRunStoreTest extends RunStoreContract {
  private static final String URL = System.getenv("PIN_TEST_POSTGRES_URL");

  @BeforeEach
  void wipe() throws Exception {
    assumeTrue(URL != null && !URL.isBlank(), "PIN_TEST_POSTGRES_URL not set; skipping PostgreSQL");
    try (Connection c = DriverManager.getConnection(URL);
        Statement s = c.createStatement()) {
      s.execute(
          "DROP TABLE IF EXISTS run_events, run_steps, run_evaluations, runs, run_id_counters,"
              + " schema_version, flyway_schema_history CASCADE");
    }
  }

  @Override
  JdbcRunStore open(TickingClock clock) {
    return JdbcRunStore.open(URL, new Properties(), clock);
  }

  @Override
  SqlDialect dialect() {
    return SqlDialect.POSTGRES;
  }

  @Override
  Connection connect() throws Exception {
    return DriverManager.getConnection(URL);
  }
}
