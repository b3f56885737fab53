package dev.pin.orchestrator.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.configuration.FluentConfiguration;

/**
 * The schema: versioned SQL scripts in {@code src/main/resources/db/migration} ({@code
 * V1__….sql}, {@code V2__….sql}, whole version numbers), applied in order by Flyway, one
 * transaction each, and recorded in its {@code flyway_schema_history} table. Never edit a released
 * script; add the next version. {@code ${blob}} in a script is the dialect's binary type.
 *
 * <p>Databases written before Flyway kept their version in a {@code schema_version} table, with
 * the same tables as these scripts. Flyway adopts such a database at that version (a baseline),
 * runs only the newer scripts, and leaves the old table as it was.
 */
final class Migrations {
  /** The version table of the hand-written migration runner that came before Flyway. */
  static final String LEGACY_TABLE = "schema_version";

  private Migrations() {}

  /** Brings the database's schema up to date; returns the Flyway that did, to ask it later. */
  static Flyway migrate(DataSource dataSource, SqlDialect dialect) {
    try {
      int legacy = legacyVersion(dataSource);
      FluentConfiguration config =
          Flyway.configure(Migrations.class.getClassLoader())
              .dataSource(dataSource)
              .locations("classpath:db/migration")
              .failOnMissingLocations(true)
              .placeholders(Map.of("blob", dialect.blobType()))
              // Tables but no Flyway history: the old runner's database, at its version; without
              // that either, someone else's tables (a shared PostgreSQL schema), so the baseline is
              // 0 and every script runs, as before Flyway.
              .baselineOnMigrate(true)
              .baselineVersion(Integer.toString(legacy));
      if (legacy > 0) {
        config.baselineDescription(LEGACY_TABLE + " " + legacy + " (before Flyway)");
      }
      Flyway flyway = config.load();
      MigrationInfoService info = flyway.info();
      int current = Math.max(legacy, version(info));
      int latest = latest(info);
      if (current > latest) {
        throw new StoreException(
            "database schema version "
                + current
                + " is newer than this orchestrator understands ("
                + latest
                + "); upgrade the orchestrator or point it at another database");
      }
      flyway.migrate();
      return flyway;
    } catch (FlywayException e) {
      throw new StoreException("cannot migrate the run store's schema: " + e.getMessage(), e);
    }
  }

  /** The database's schema version: the last script applied, or the baseline (0 when none). */
  static int version(MigrationInfoService info) {
    MigrationInfo current = info.current();
    return current == null ? 0 : Integer.parseInt(current.getVersion().getVersion());
  }

  /** The newest script this code has. */
  static int latest(MigrationInfoService info) {
    return Arrays.stream(info.all())
        .filter(m -> m.isVersioned() && !m.getType().isSynthetic() && m.getState().isResolved())
        .mapToInt(m -> Integer.parseInt(m.getVersion().getVersion()))
        .max()
        .orElseThrow(() -> new StoreException("no schema migrations on the class path"));
  }

  /** The old runner's version of this database, or 0 when it has no {@code schema_version}. */
  private static int legacyVersion(DataSource dataSource) {
    try (Connection c = dataSource.getConnection()) {
      try (ResultSet tables =
          c.getMetaData().getTables(null, c.getSchema(), LEGACY_TABLE, new String[] {"TABLE"})) {
        if (!tables.next()) {
          return 0;
        }
      }
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT MAX(version) FROM " + LEGACY_TABLE)) {
        rs.next();
        return rs.getInt(1); // NULL reads as 0
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the database's schema version: " + e.getMessage(), e);
    }
  }
}
