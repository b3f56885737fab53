package dev.pin.orchestrator.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.RunStateChange;
import dev.pin.v1.StepMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;

/**
 * {@link RunStore} over JDBC: SQLite (an embedded file, the default) or PostgreSQL, chosen by the
 * JDBC URL, with the same SQL except for the binary column type and row locks ({@link SqlDialect}).
 *
 * <p>Storage: each run, event, step and evaluation is its protobuf bytes next to the columns the
 * queries need (state, creation time, sequence, step). Each run's event sequence is a counter in
 * its row, bumped in the transaction that inserts the event, so concurrent appenders of one run
 * queue on that row and sequences have no gaps.
 *
 * <p>Concurrency: connections come from HikariCP pools; every write is one transaction. SQLite
 * has one writer at a time, so it gets two pools: a single writer connection (writers inside this
 * JVM queue for it) and a few readers, which WAL mode lets run beside the writer. Its transactions
 * are {@code BEGIN IMMEDIATE} with a busy timeout, so another process's writer is waited for inside
 * SQLite. PostgreSQL has one pool and locks the run row with {@code SELECT … FOR UPDATE}; its
 * serialisation failures and deadlocks, which PostgreSQL asks clients to retry, are retried a few
 * times. The schema is Flyway's ({@link Migrations}).
 */
public final class JdbcRunStore implements RunStore {
  private static final System.Logger LOG = System.getLogger(JdbcRunStore.class.getName());
  private static final int DEFAULT_PAGE_SIZE = 50;
  private static final int MAX_PAGE_SIZE = 1000;
  private static final int MAX_ATTEMPTS = 5;
  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

  /** PostgreSQL connections, and SQLite reader connections (its writer is always one). */
  private static final int POOL_SIZE = 4;

  private final SqlDialect dialect;
  private final HikariDataSource writes;
  private final HikariDataSource reads; // the same pool as writes on PostgreSQL
  private final Flyway flyway;
  private final Clock clock;
  private final List<RunStore.Listener> listeners = new CopyOnWriteArrayList<>();

  private JdbcRunStore(
      SqlDialect dialect, HikariDataSource writes, HikariDataSource reads, Flyway flyway,
      Clock clock) {
    this.dialect = dialect;
    this.writes = writes;
    this.reads = reads;
    this.flyway = flyway;
    this.clock = clock;
  }

  /**
   * Opens (creating if needed) a SQLite database file and migrates its schema.
   *
   * @param file the database file; its folder is created if missing
   */
  public static JdbcRunStore openSqlite(Path file) {
    return open("jdbc:sqlite:" + file.toAbsolutePath(), new Properties(), Clock.systemUTC());
  }

  /**
   * Opens a database by JDBC URL ({@code jdbc:sqlite:<file>} or {@code
   * jdbc:postgresql://host:port/db?user=…&password=…}) and migrates its schema.
   */
  public static JdbcRunStore open(String jdbcUrl) {
    return open(jdbcUrl, new Properties(), Clock.systemUTC());
  }

  /**
   * Opens a database with extra driver properties and a clock (tests pin time with it).
   *
   * @param jdbcUrl the database
   * @param driverProperties passed to the driver (e.g. user and password)
   * @param clock source of creation, update and event times
   */
  public static JdbcRunStore open(String jdbcUrl, Properties driverProperties, Clock clock) {
    SqlDialect dialect = SqlDialect.of(jdbcUrl);
    Properties props = new Properties();
    if (dialect == SqlDialect.SQLITE) {
      createSqliteFolder(jdbcUrl);
      SQLiteConfig config = new SQLiteConfig();
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL); // durable at checkpoints in WAL
      config.setBusyTimeout(10_000); // another process writing: wait instead of failing
      config.enforceForeignKeys(true);
      config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
      props.putAll(config.toProperties());
    }
    props.putAll(driverProperties);
    HikariDataSource writes = null;
    HikariDataSource reads = null;
    try {
      boolean sqlite = dialect == SqlDialect.SQLITE;
      // SQLite has one writer at a time: one connection, that this JVM's writers queue for.
      writes =
          pool(jdbcUrl, props, sqlite ? "pin-runs-writer" : "pin-runs", sqlite ? 1 : POOL_SIZE);
      Flyway flyway = Migrations.migrate(writes, dialect);
      // Readers open once the file is in WAL mode, which lets them read while the writer writes.
      reads = sqlite ? pool(jdbcUrl, props, "pin-runs-readers", POOL_SIZE) : writes;
      return new JdbcRunStore(dialect, writes, reads, flyway, clock);
    } catch (RuntimeException e) {
      closeAll(writes, reads);
      throw e;
    }
  }

  /**
   * A pool of connections made with the driver properties (for SQLite the pragmas above, applied
   * to every connection as it opens). Waiting for a connection gives up after a minute.
   */
  private static HikariDataSource pool(
      String url, Properties driverProperties, String name, int size) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(url);
    config.setDataSourceProperties(driverProperties);
    config.setMaximumPoolSize(size);
    config.setConnectionTimeout(60_000);
    try {
      return new HikariDataSource(config);
    } catch (RuntimeException e) { // HikariCP's PoolInitializationException: cannot connect
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException("cannot connect to " + redact(url) + ": " + cause.getMessage(), e);
    }
  }

  /** SQLite creates the file but not its folder; a fresh install has neither. */
  private static void createSqliteFolder(String jdbcUrl) {
    String file = jdbcUrl.substring("jdbc:sqlite:".length());
    int q = file.indexOf('?');
    if (q >= 0) {
      file = file.substring(0, q);
    }
    if (file.isEmpty() || file.startsWith(":memory:") || file.startsWith("file:")) {
      return;
    }
    try {
      Path parent = Path.of(file).toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (java.io.IOException | java.nio.file.InvalidPathException e) {
      throw new StoreException("cannot create the folder of " + file + ": " + e.getMessage(), e);
    }
  }

  /** The database's schema version after opening (see {@link Migrations}). */
  public int schemaVersion() {
    return Migrations.version(flyway.info());
  }

  /** The newest schema version this code has (tests). */
  int latestSchemaVersion() {
    return Migrations.latest(flyway.info());
  }

  @Override
  public Run createRun(RunSpec spec, Map<String, String> provenance, String owner) {
    Instant now = clock.instant();
    RunUpdate u =
        inTransaction(
            c -> {
              String day = DAY.format(now);
              try (PreparedStatement p =
                  c.prepareStatement(
                      "INSERT INTO run_id_counters (day, last_value) VALUES (?, 1) ON CONFLICT"
                          + " (day) DO UPDATE SET last_value = run_id_counters.last_value + 1")) {
                p.setString(1, day);
                p.executeUpdate();
              }
              long n;
              try (PreparedStatement p =
                  c.prepareStatement("SELECT last_value FROM run_id_counters WHERE day = ?")) {
                p.setString(1, day);
                try (ResultSet rs = p.executeQuery()) {
                  rs.next();
                  n = rs.getLong(1);
                }
              }
              Run run =
                  Run.newBuilder()
                      .setId(String.format("run-%s-%04d", day, n))
                      .setSpec(spec)
                      .setState(RunState.RUN_STATE_PENDING)
                      .setCreated(timestamp(now))
                      .setUpdated(timestamp(now))
                      .putAllProvenance(provenance)
                      .setOwner(owner)
                      .build();
              try (PreparedStatement p =
                  c.prepareStatement(
                      "INSERT INTO runs (id, name, method, task, state, step, created_ms,"
                          + " updated_ms, version, last_sequence, spec, run, owner) VALUES (?, ?,"
                          + " ?, ?, ?, 0, ?, ?, 0, 0, ?, ?, ?)")) {
                p.setString(1, run.getId());
                p.setString(2, column(spec.getName()));
                p.setString(3, spec.getMethod().name());
                p.setString(4, spec.getTask().getTaskCase().name());
                p.setString(5, run.getState().name());
                p.setLong(6, now.toEpochMilli());
                p.setLong(7, now.toEpochMilli());
                p.setBytes(8, spec.toByteArray());
                p.setBytes(9, run.toBuilder().clearSpec().build().toByteArray());
                p.setString(10, owner);
                p.executeUpdate();
              }
              RunEvent created =
                  RunEvent.newBuilder()
                      .setState(
                          RunStateChange.newBuilder()
                              .setFrom(RunState.RUN_STATE_UNSPECIFIED)
                              .setTo(RunState.RUN_STATE_PENDING)
                              .setReason("created"))
                      .build();
              List<RunEvent> stored = insertEvents(c, run.getId(), 0, List.of(created), now);
              setLastSequence(c, run.getId(), 1);
              return new RunUpdate(run, stored);
            });
    return publish(u).run();
  }

  @Override
  public Optional<Run> getRun(String runId) {
    return read(
        c -> {
          try (PreparedStatement p = c.prepareStatement("SELECT run, spec FROM runs WHERE id = ?")) {
            p.setString(1, runId);
            try (ResultSet rs = p.executeQuery()) {
              return rs.next() ? Optional.of(parseRun(rs.getBytes(1), rs.getBytes(2))) : Optional.<Run>empty();
            }
          }
        });
  }

  @Override
  public RunUpdate update(String runId, Consumer<Run.Builder> mutation, List<RunEvent> events) {
    return publish(inTransaction(c -> updateInTx(c, runId, mutation, events)));
  }

  /** Longest state-change reason or error stored, in characters. */
  static final int MAX_REASON_CHARS = 4096;

  /**
   * {@code reason} cut to {@link #MAX_REASON_CHARS}: a spec with 100 000 bad verbalizers once
   * stored a 21.6 MB error, and every ListRuns after it exceeded the 4 MiB message limit.
   */
  static String bounded(String reason) {
    if (reason.length() <= MAX_REASON_CHARS) {
      return reason;
    }
    int end = MAX_REASON_CHARS - 64;
    if (Character.isHighSurrogate(reason.charAt(end - 1))) {
      end--;
    }
    return reason.substring(0, end) + "… (" + (reason.length() - end) + " more characters)";
  }

  @Override
  public RunUpdate transition(String runId, RunState to, String reason) {
    if (to == RunState.RUN_STATE_UNSPECIFIED || to == RunState.UNRECOGNIZED) {
      throw new IllegalArgumentException("cannot move a run to " + to);
    }
    String why = bounded(reason);
    return publish(
        inTransaction(
            c -> {
              Locked locked = lockRun(c, runId);
              RunEvent event =
                  RunEvent.newBuilder()
                      .setState(
                          RunStateChange.newBuilder()
                              .setFrom(locked.run().getState())
                              .setTo(to)
                              .setReason(why))
                      .build();
              return write(
                  c,
                  locked,
                  b -> {
                    b.setState(to);
                    if (to == RunState.RUN_STATE_FAILED) {
                      b.setError(why);
                    } else {
                      b.clearError(); // a resumed run's old failure is history, not its state
                    }
                  },
                  List.of(event));
            }));
  }

  @Override
  public List<RunEvent> readEvents(String runId, long fromSequence, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read(
        c -> {
          requireRun(c, runId);
          List<RunEvent> out = new ArrayList<>();
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT event FROM run_events WHERE run_id = ? AND sequence >= ?"
                      + " ORDER BY sequence LIMIT ?")) {
            p.setString(1, runId);
            p.setLong(2, fromSequence);
            p.setInt(3, limit);
            try (ResultSet rs = p.executeQuery()) {
              while (rs.next()) {
                out.add(RunEvent.parseFrom(rs.getBytes(1)));
              }
            }
          } catch (InvalidProtocolBufferException e) {
            throw new StoreException("corrupt event of run " + runId, e);
          }
          return out;
        });
  }

  @Override
  public long lastSequence(String runId) {
    return read(
        c -> {
          try (PreparedStatement p =
              c.prepareStatement("SELECT last_sequence FROM runs WHERE id = ?")) {
            p.setString(1, runId);
            try (ResultSet rs = p.executeQuery()) {
              if (!rs.next()) {
                throw new UnknownRunException(runId);
              }
              return rs.getLong(1);
            }
          }
        });
  }

  @Override
  public RunEvent recordStep(String runId, StepMetrics metrics) {
    RunUpdate stored =
        inTransaction(
            c -> {
              Locked locked = lockRun(c, runId);
              try (PreparedStatement p =
                  c.prepareStatement(
                      "INSERT INTO run_steps (run_id, step, reward_mean, reward_max, loss, metrics)"
                          + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE SET"
                          + " reward_mean = excluded.reward_mean, reward_max = excluded.reward_max,"
                          + " loss = excluded.loss, metrics = excluded.metrics")) {
                p.setString(1, runId);
                p.setLong(2, metrics.getStep());
                p.setDouble(3, metrics.getRewardMean());
                p.setDouble(4, metrics.getRewardMax());
                p.setDouble(5, metrics.getLoss());
                p.setBytes(6, metrics.toByteArray());
                p.executeUpdate();
              }
              return write(
                  c,
                  locked,
                  b -> {
                    if (metrics.getStep() >= b.getStep()) {
                      b.setStep(metrics.getStep()).setLatest(metrics);
                    }
                  },
                  List.of(RunEvent.newBuilder().setStep(metrics).build()));
            });
    return publish(stored).events().get(0);
  }

  @Override
  public List<StepMetrics> readSteps(String runId, long fromStep, int limit) {
    if (limit <= 0) {
      return List.of();
    }
    return read(
        c -> {
          requireRun(c, runId);
          List<StepMetrics> out = new ArrayList<>();
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT metrics FROM run_steps WHERE run_id = ? AND step >= ?"
                      + " ORDER BY step LIMIT ?")) {
            p.setString(1, runId);
            p.setLong(2, fromStep);
            p.setInt(3, limit);
            try (ResultSet rs = p.executeQuery()) {
              while (rs.next()) {
                out.add(StepMetrics.parseFrom(rs.getBytes(1)));
              }
            }
          } catch (InvalidProtocolBufferException e) {
            throw new StoreException("corrupt step metrics of run " + runId, e);
          }
          return out;
        });
  }

  @Override
  public RunEvent recordEvaluation(String runId, EvaluationResult evaluation) {
    RunUpdate stored =
        inTransaction(
            c -> {
              Locked locked = lockRun(c, runId);
              RunUpdate u =
                  write(
                      c,
                      locked,
                      b -> {},
                      List.of(RunEvent.newBuilder().setEvaluation(evaluation).build()));
              RunEvent event = u.events().get(0);
              try (PreparedStatement p =
                  c.prepareStatement(
                      "INSERT INTO run_evaluations (run_id, sequence, step, split, dev_score,"
                          + " evaluation) VALUES (?, ?, ?, ?, ?, ?)")) {
                p.setString(1, runId);
                p.setLong(2, event.getSequence());
                p.setLong(3, evaluation.getStep());
                p.setString(4, evaluation.getSplit().name());
                p.setDouble(5, evaluation.getPrompt().getDevScore());
                p.setBytes(6, evaluation.toByteArray());
                p.executeUpdate();
              }
              return u;
            });
    return publish(stored).events().get(0);
  }

  @Override
  public List<EvaluationResult> readEvaluations(String runId) {
    return read(
        c -> {
          requireRun(c, runId);
          List<EvaluationResult> out = new ArrayList<>();
          try (PreparedStatement p =
              c.prepareStatement(
                  "SELECT evaluation FROM run_evaluations WHERE run_id = ? ORDER BY sequence")) {
            p.setString(1, runId);
            try (ResultSet rs = p.executeQuery()) {
              while (rs.next()) {
                out.add(EvaluationResult.parseFrom(rs.getBytes(1)));
              }
            }
          } catch (InvalidProtocolBufferException e) {
            throw new StoreException("corrupt evaluation of run " + runId, e);
          }
          return out;
        });
  }

  @Override
  public RunEvent recordCheckpoint(String runId, CheckpointRef checkpoint) {
    return update(
            runId,
            b -> b.setCheckpoint(checkpoint),
            List.of(RunEvent.newBuilder().setCheckpoint(checkpoint).build()))
        .events()
        .get(0);
  }

  @Override
  public RunPage listRuns(int pageSize, String pageToken, Collection<RunState> states,
      String owner) {
    if (pageSize < 0) {
      throw new IllegalArgumentException("page_size must not be negative, got " + pageSize);
    }
    int size = pageSize == 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    long[] afterCreated = {Long.MAX_VALUE};
    String[] afterId = {null};
    if (pageToken != null && !pageToken.isEmpty()) {
      try {
        String decoded =
            new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        afterCreated[0] = Long.parseLong(decoded.substring(0, colon));
        afterId[0] = decoded.substring(colon + 1);
      } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
        throw new IllegalArgumentException(
            "page_token is not a token from a previous ListRuns response; leave it empty for the"
                + " first page");
      }
    }
    List<RunState> filter = new ArrayList<>(new LinkedHashSet<>(states));
    StringBuilder sql = new StringBuilder("SELECT run, spec, created_ms, id FROM runs WHERE 1 = 1");
    if (!filter.isEmpty()) {
      sql.append(" AND state IN (").append("?, ".repeat(filter.size() - 1)).append("?)");
    }
    if (owner != null) {
      sql.append(" AND owner = ?");
    }
    if (afterId[0] != null) {
      sql.append(" AND (created_ms < ? OR (created_ms = ? AND id < ?))");
    }
    sql.append(" ORDER BY created_ms DESC, id DESC LIMIT ?");
    return read(
        c -> {
          List<Run> runs = new ArrayList<>();
          String next = "";
          try (PreparedStatement p = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (RunState s : filter) {
              p.setString(i++, s.name());
            }
            if (owner != null) {
              p.setString(i++, owner);
            }
            if (afterId[0] != null) {
              p.setLong(i++, afterCreated[0]);
              p.setLong(i++, afterCreated[0]);
              p.setString(i++, afterId[0]);
            }
            p.setInt(i, size + 1);
            try (ResultSet rs = p.executeQuery()) {
              long lastCreated = 0;
              String lastId = null;
              while (rs.next()) {
                if (runs.size() == size) {
                  next =
                      Base64.getUrlEncoder()
                          .withoutPadding()
                          .encodeToString(
                              (lastCreated + ":" + lastId).getBytes(StandardCharsets.UTF_8));
                  break;
                }
                runs.add(parseRun(rs.getBytes(1), rs.getBytes(2)));
                lastCreated = rs.getLong(3);
                lastId = rs.getString(4);
              }
            }
          }
          return new RunPage(runs, next);
        });
  }

  @Override
  public AutoCloseable addListener(RunStore.Listener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Hands committed events to the listeners; a failing listener does not fail the write. */
  private RunUpdate publish(RunUpdate update) {
    if (!update.events().isEmpty()) {
      for (RunStore.Listener l : listeners) {
        try {
          l.onEvents(update.run().getId(), update.events());
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "run event listener failed", e);
        }
      }
    }
    return update;
  }

  @Override
  public void close() {
    closeAll(writes, reads);
  }

  private static void closeAll(HikariDataSource writes, HikariDataSource reads) {
    if (writes != null) {
      writes.close();
    }
    if (reads != null && reads != writes) {
      reads.close();
    }
  }

  // ---- transactions ------------------------------------------------------------------------

  /** Work inside a transaction or a read. */
  @FunctionalInterface
  private interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** A run row read with its lock held until the transaction ends. */
  private record Locked(Run run, long version, long lastSequence) {}

  private RunUpdate updateInTx(
      Connection c, String runId, Consumer<Run.Builder> mutation, List<RunEvent> events)
      throws SQLException {
    return write(c, lockRun(c, runId), mutation, events);
  }

  private Locked lockRun(Connection c, String runId) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement(
            "SELECT run, spec, version, last_sequence FROM runs WHERE id = ?"
                + dialect.lockSuffix())) {
      p.setString(1, runId);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw new UnknownRunException(runId);
        }
        return new Locked(parseRun(rs.getBytes(1), rs.getBytes(2)), rs.getLong(3), rs.getLong(4));
      }
    }
  }

  /** Applies a mutation to a locked run, appends events, and writes both. */
  private RunUpdate write(
      Connection c, Locked locked, Consumer<Run.Builder> mutation, List<RunEvent> events)
      throws SQLException {
    Instant now = clock.instant();
    Run before = locked.run();
    Run.Builder b = before.toBuilder();
    mutation.accept(b);
    // The id and creation time are the store's; a mutation cannot move a run.
    Run after =
        b.setId(before.getId()).setCreated(before.getCreated()).setUpdated(timestamp(now)).build();
    List<RunEvent> stored = insertEvents(c, after.getId(), locked.lastSequence(), events, now);
    if (!after.getSpec().equals(before.getSpec())) {
      // Rare (e.g. a resume that extends the budget); the spec column is written only then.
      try (PreparedStatement p = c.prepareStatement("UPDATE runs SET spec = ? WHERE id = ?")) {
        p.setBytes(1, after.getSpec().toByteArray());
        p.setString(2, after.getId());
        p.executeUpdate();
      }
    }
    try (PreparedStatement p =
        c.prepareStatement(
            "UPDATE runs SET name = ?, method = ?, task = ?, state = ?, step = ?, updated_ms = ?,"
                + " version = ?, last_sequence = ?, run = ? WHERE id = ? AND version = ?")) {
      p.setString(1, column(after.getSpec().getName()));
      p.setString(2, after.getSpec().getMethod().name());
      p.setString(3, after.getSpec().getTask().getTaskCase().name());
      p.setString(4, after.getState().name());
      p.setLong(5, after.getStep());
      p.setLong(6, now.toEpochMilli());
      p.setLong(7, locked.version() + 1);
      p.setLong(8, locked.lastSequence() + stored.size());
      p.setBytes(9, after.toBuilder().clearSpec().build().toByteArray());
      p.setString(10, after.getId());
      p.setLong(11, locked.version());
      if (p.executeUpdate() != 1) {
        // Only possible if a writer bypassed the row lock; the retry loop reads again.
        throw new SQLException("run " + after.getId() + " changed concurrently", "40001");
      }
    }
    return new RunUpdate(after, stored);
  }

  private List<RunEvent> insertEvents(
      Connection c, String runId, long lastSequence, List<RunEvent> events, Instant now)
      throws SQLException {
    if (events.isEmpty()) {
      return List.of();
    }
    List<RunEvent> stored = new ArrayList<>(events.size());
    try (PreparedStatement p =
        c.prepareStatement(
            "INSERT INTO run_events (run_id, sequence, time_ms, kind, event) VALUES (?, ?, ?,"
                + " ?, ?)")) {
      long seq = lastSequence;
      for (RunEvent e : events) {
        RunEvent.Builder b = e.toBuilder().setSequence(++seq).setReplayed(false);
        if (!e.hasTime()) {
          b.setTime(timestamp(now));
        }
        RunEvent s = b.build();
        p.setString(1, runId);
        p.setLong(2, s.getSequence());
        p.setLong(3, s.getTime().getSeconds() * 1000 + s.getTime().getNanos() / 1_000_000);
        p.setString(4, s.getEventCase().name());
        p.setBytes(5, s.toByteArray());
        p.addBatch();
        stored.add(s);
      }
      p.executeBatch();
    }
    return stored;
  }

  private void setLastSequence(Connection c, String runId, long sequence) throws SQLException {
    try (PreparedStatement p =
        c.prepareStatement("UPDATE runs SET last_sequence = ? WHERE id = ?")) {
      p.setLong(1, sequence);
      p.setString(2, runId);
      p.executeUpdate();
    }
  }

  private void requireRun(Connection c, String runId) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM runs WHERE id = ?")) {
      p.setString(1, runId);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          throw new UnknownRunException(runId);
        }
      }
    }
  }

  /**
   * Runs work in a transaction on the writer connection. Only PostgreSQL's serialisation failures
   * and deadlocks are run again: SQLite's busy timeout already waits out another process's writer.
   */
  private <T> T inTransaction(SqlWork<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = connection(writes)) {
        // BEGIN (IMMEDIATE on SQLite). HikariCP puts the connection back in autocommit when it is
        // returned, so an idle SQLite connection never holds the write lock.
        c.setAutoCommit(false);
        try {
          T result = work.run(c);
          c.commit();
          return result;
        } catch (Throwable e) {
          try {
            c.rollback();
          } catch (SQLException rollbackFailure) {
            e.addSuppressed(rollbackFailure);
            writes.evictConnection(c); // in an unknown state: not back into the pool
          }
          throw e;
        }
      } catch (SQLException e) {
        if (attempt < MAX_ATTEMPTS && dialect.retryable(e)) {
          sleepBeforeRetry(attempt);
          continue;
        }
        throw new StoreException("run store transaction failed: " + e.getMessage(), e);
      }
    }
  }

  private <T> T read(SqlWork<T> work) {
    try (Connection c = connection(reads)) {
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException("run store read failed: " + e.getMessage(), e);
    }
  }

  private static Connection connection(HikariDataSource pool) throws SQLException {
    if (pool.isClosed()) {
      throw new StoreException("the run store is closed");
    }
    return pool.getConnection();
  }

  private static void sleepBeforeRetry(int attempt) {
    try {
      Thread.sleep(10L * attempt * attempt);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while retrying a transaction", e);
    }
  }

  /** The URL without query parameters, which may hold a password. */
  private static String redact(String url) {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q) + "?…";
  }

  /** The queryable copy of a name fits its column; the full name stays in the proto. */
  private static String column(String name) {
    return name.length() <= 256 ? name : name.substring(0, 256);
  }

  /**
   * A run from its two columns. The spec is kept apart because it can hold a task's inline
   * examples (megabytes) and never changes with progress, so a step's update does not rewrite it.
   */
  private static Run parseRun(byte[] runBytes, byte[] specBytes) {
    try {
      return Run.parseFrom(runBytes).toBuilder().setSpec(RunSpec.parseFrom(specBytes)).build();
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException("corrupt run record", e);
    }
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
