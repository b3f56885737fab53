package dev.pin.orchestrator.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;

import dev.pin.v1.CheckpointRef;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Method;
import dev.pin.v1.Prompt;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.RunStateChange;
import dev.pin.v1.StepMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link RunStore} must have, run against SQLite and (when available)
 * PostgreSQL by the subclasses.
 */
abstract class RunStoreContract {
  static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

  /** Opens the store under test (the same database each time within one test). */
  abstract JdbcRunStore open(TickingClock clock);

  /** The dialect of that database. */
  abstract SqlDialect dialect();

  /** A plain connection to that database, for building or inspecting it around the store. */
  abstract Connection connect() throws Exception;

  /** The JDBC URL of that database (user and password in it, if any). */
  abstract String jdbcUrl() throws Exception;

  private final List<JdbcRunStore> opened = new ArrayList<>();

  JdbcRunStore openTracked(TickingClock clock) {
    JdbcRunStore s = open(clock);
    opened.add(s);
    return s;
  }

  @AfterEach
  void closeStores() {
    opened.forEach(JdbcRunStore::close);
  }

  static RunSpec spec(String name) {
    return RunSpec.newBuilder().setName(name).setMethod(Method.METHOD_PIN).setSeed(42).build();
  }

  static ScoredPrompt prompt(String text, double dev) {
    return ScoredPrompt.newBuilder()
        .setPrompt(Prompt.newBuilder().setText(text).addTokenIds(7).addTokenIds(9))
        .setDevScore(dev)
        .build();
  }

  @Test
  void createsRunsWithDailyIdsAndAFirstEvent() {
    RunStore store = openTracked(new TickingClock(T0));
    Run a = store.createRun(spec("a"), Map.of("task_model", "bert-base-uncased"));
    Run b = store.createRun(spec("b"), Map.of());
    assertEquals("run-20261123-0001", a.getId());
    assertEquals("run-20261123-0002", b.getId());
    assertEquals(RunState.RUN_STATE_PENDING, a.getState());
    assertEquals(a, store.getRun(a.getId()).orElseThrow());
    assertEquals(
        "bert-base-uncased",
        store.getRun(a.getId()).orElseThrow().getProvenanceOrThrow("task_model"));
    assertEquals(T0.getEpochSecond(), a.getCreated().getSeconds());
    List<RunEvent> events = store.readEvents(a.getId(), 0, 100);
    assertEquals(1, events.size());
    assertEquals(1, events.get(0).getSequence());
    assertEquals(RunState.RUN_STATE_PENDING, events.get(0).getState().getTo());
    assertEquals(1, store.lastSequence(a.getId()));
    assertTrue(store.getRun("run-19990101-0001").isEmpty());
  }

  /** Issue #17: a 21.6 MB stored error made every later ListRuns exceed the message limit. */
  @Test
  void aHugeFailureReasonIsStoredCut() {
    RunStore store = openTracked(new TickingClock(T0));
    String id = store.createRun(spec("a"), Map.of()).getId();
    String huge = "spec.task.verbalizers[7]: must be one token; ".repeat(20_000);
    Run failed = store.transition(id, RunState.RUN_STATE_FAILED, huge).run();
    assertTrue(failed.getError().length() <= 4096, "stored " + failed.getError().length());
    assertTrue(failed.getError().startsWith("spec.task.verbalizers[7]"));
    assertTrue(failed.getError().endsWith("more characters)"), failed.getError());
    assertEquals(failed.getError(), store.readEvents(id, 0, 10).get(1).getState().getReason());
  }

  @Test
  void transitionsUpdateStateAndLogTheChange() {
    RunStore store = openTracked(new TickingClock(T0));
    String id = store.createRun(spec("a"), Map.of()).getId();
    RunUpdate running = store.transition(id, RunState.RUN_STATE_RUNNING, "started");
    assertEquals(RunState.RUN_STATE_RUNNING, running.run().getState());
    assertEquals(2, running.events().get(0).getSequence());
    assertEquals(RunState.RUN_STATE_PENDING, running.events().get(0).getState().getFrom());
    RunUpdate failed =
        store.transition(id, RunState.RUN_STATE_FAILED, "reward service unavailable");
    assertEquals("reward service unavailable", failed.run().getError());
    assertEquals(failed.run(), store.getRun(id).orElseThrow());
    assertTrue(
        failed.run().getUpdated().getNanos()
                + failed.run().getUpdated().getSeconds() * 1_000_000_000L
            > failed.run().getCreated().getNanos()
                + failed.run().getCreated().getSeconds() * 1_000_000_000L);
    assertEquals(
        List.of(1L, 2L, 3L),
        store.readEvents(id, 0, 10).stream().map(RunEvent::getSequence).toList());
    assertEquals(
        List.of(3L), store.readEvents(id, 3, 10).stream().map(RunEvent::getSequence).toList());
    assertEquals(
        "",
        store.transition(id, RunState.RUN_STATE_RUNNING, "resumed").run().getError(),
        "resuming clears the error, which is the failed state's");
    assertEquals(
        List.of(2L), store.readEvents(id, 2, 1).stream().map(RunEvent::getSequence).toList());
  }

  @Test
  void stepsEvaluationsCheckpointsAndBestPrompts() {
    RunStore store = openTracked(new TickingClock(T0));
    String id = store.createRun(spec("a"), Map.of()).getId();
    for (int step = 1; step <= 3; step++) {
      RunEvent e =
          store.recordStep(
              id, StepMetrics.newBuilder().setStep(step).setRewardMean(step * 10).build());
      assertEquals(step + 1, e.getSequence());
      assertEquals(step, e.getStep().getStep());
    }
    // A replayed older step replaces its record but does not move the run back.
    store.recordStep(id, StepMetrics.newBuilder().setStep(2).setRewardMean(21).build());
    Run run = store.getRun(id).orElseThrow();
    assertEquals(3, run.getStep());
    assertEquals(30, run.getLatest().getRewardMean());
    List<StepMetrics> steps = store.readSteps(id, 2, 10);
    assertEquals(List.of(2L, 3L), steps.stream().map(StepMetrics::getStep).toList());
    assertEquals(21, steps.get(0).getRewardMean());

    EvaluationResult eval =
        EvaluationResult.newBuilder()
            .setStep(3)
            .setSplit(Split.SPLIT_DEV)
            .setPrompt(prompt("absolutely VERY review", 88.5))
            .setImproved(true)
            .build();
    RunEvent evalEvent = store.recordEvaluation(id, eval);
    assertEquals(eval, evalEvent.getEvaluation());
    assertEquals(List.of(eval), store.readEvaluations(id));

    CheckpointRef ckpt =
        CheckpointRef.newBuilder().setRunId(id).setUri("file:///tmp/c/step-3").setStep(3).build();
    assertEquals(ckpt, store.recordCheckpoint(id, ckpt).getCheckpoint());
    RunUpdate best =
        store.update(
            id,
            b -> b.clearBestPrompts().addBestPrompts(prompt("absolutely VERY review", 88.5)),
            List.of(
                RunEvent.newBuilder().setBestPrompt(prompt("absolutely VERY review", 88.5)).build(),
                RunEvent.newBuilder().setMessage("new best").build()));
    assertEquals(List.of(8L, 9L), best.events().stream().map(RunEvent::getSequence).toList());
    Run after = store.getRun(id).orElseThrow();
    assertEquals(ckpt, after.getCheckpoint());
    assertEquals(88.5, after.getBestPrompts(0).getDevScore());
    assertEquals(9, store.lastSequence(id));
  }

  @Test
  void listsNewestFirstWithPagingAndStateFilter() {
    RunStore store = openTracked(new TickingClock(T0));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(store.createRun(spec("r" + i), Map.of()).getId());
    }
    store.transition(ids.get(1), RunState.RUN_STATE_RUNNING, "");
    store.transition(ids.get(3), RunState.RUN_STATE_RUNNING, "");
    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      RunPage page = store.listRuns(2, token, List.of());
      page.runs().forEach(r -> seen.add(r.getId()));
      token = page.nextPageToken();
      pages++;
    } while (!token.isEmpty());
    assertEquals(3, pages);
    assertEquals(List.of(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0)), seen);
    RunPage running = store.listRuns(0, "", List.of(RunState.RUN_STATE_RUNNING));
    assertEquals(List.of(ids.get(3), ids.get(1)), running.runs().stream().map(Run::getId).toList());
    assertEquals("", running.nextPageToken());
    RunPage two =
        store.listRuns(0, "", List.of(RunState.RUN_STATE_RUNNING, RunState.RUN_STATE_PENDING));
    assertEquals(5, two.runs().size());
    assertThrows(IllegalArgumentException.class, () -> store.listRuns(2, "not-a-token", List.of()));
    assertThrows(IllegalArgumentException.class, () -> store.listRuns(-1, "", List.of()));
  }

  @Test
  void listenersReceiveCommittedEventsInOrder() throws Exception {
    RunStore store = openTracked(new TickingClock(T0));
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    AutoCloseable subscription =
        store.addListener(
            (runId, events) -> events.forEach(e -> seen.add(runId + "#" + e.getSequence())));
    store.addListener(
        (runId, events) -> {
          throw new IllegalStateException("a broken listener must not fail the write");
        });
    String id = store.createRun(spec("a"), Map.of()).getId();
    store.transition(id, RunState.RUN_STATE_RUNNING, "");
    store.recordStep(id, StepMetrics.newBuilder().setStep(1).build());
    store.recordEvaluation(id, EvaluationResult.newBuilder().setStep(1).build());
    store.recordCheckpoint(id, CheckpointRef.newBuilder().setStep(1).build());
    store.updateRun(id, b -> b.setError("no event, no call"));
    subscription.close();
    store.appendEvent(id, RunEvent.newBuilder().setMessage("after unsubscribing").build());
    assertEquals(List.of(id + "#1", id + "#2", id + "#3", id + "#4", id + "#5"), List.copyOf(seen));
  }

  @Test
  void specChangesArePersisted() {
    TickingClock clock = new TickingClock(T0);
    String id;
    try (JdbcRunStore store = open(clock)) {
      id = store.createRun(spec("before"), Map.of()).getId();
      store.updateRun(
          id, b -> b.getSpecBuilder().setName("after").getBudgetBuilder().setMaxSteps(99));
      store.updateRun(id, b -> b.setStep(3));
    }
    try (JdbcRunStore store = open(clock)) {
      Run run = store.getRun(id).orElseThrow();
      assertEquals("after", run.getSpec().getName());
      assertEquals(99, run.getSpec().getBudget().getMaxSteps());
      assertEquals(3, run.getStep());
      assertEquals("after", store.listRuns(0, "", List.of()).runs().get(0).getSpec().getName());
    }
  }

  @Test
  void unknownRuns() {
    RunStore store = openTracked(new TickingClock(T0));
    assertThrows(
        UnknownRunException.class, () -> store.transition("nope", RunState.RUN_STATE_RUNNING, ""));
    assertThrows(UnknownRunException.class, () -> store.readEvents("nope", 0, 10));
    assertThrows(UnknownRunException.class, () -> store.lastSequence("nope"));
    assertThrows(
        UnknownRunException.class,
        () -> store.recordStep("nope", StepMetrics.getDefaultInstance()));
    assertThrows(
        UnknownRunException.class, () -> store.appendEvent("nope", RunEvent.getDefaultInstance()));
  }

  @Test
  void everythingSurvivesReopening() {
    TickingClock clock = new TickingClock(T0);
    String id;
    Run before;
    try (JdbcRunStore store = open(clock)) {
      id = store.createRun(spec("persisted"), Map.of("code", "abc")).getId();
      store.transition(id, RunState.RUN_STATE_RUNNING, "started");
      store.recordStep(id, StepMetrics.newBuilder().setStep(1).setRewardMean(5).build());
      store.recordEvaluation(
          id, EvaluationResult.newBuilder().setStep(1).setPrompt(prompt("x", 1)).build());
      before = store.getRun(id).orElseThrow();
    }
    try (JdbcRunStore store = open(clock)) {
      assertEquals(store.latestSchemaVersion(), store.schemaVersion());
      assertEquals(before, store.getRun(id).orElseThrow());
      assertEquals(4, store.lastSequence(id));
      assertEquals(4, store.readEvents(id, 0, 100).size());
      assertEquals(1, store.readSteps(id, 0, 100).size());
      assertEquals(1, store.readEvaluations(id).size());
      // The sequence continues where it stopped, and the day's run counter too.
      assertEquals(
          5,
          store.appendEvent(id, RunEvent.newBuilder().setMessage("resumed").build()).getSequence());
      assertEquals("run-20261123-0002", store.createRun(spec("next"), Map.of()).getId());
    }
  }

  @Test
  void concurrentWritersGetGaplessSequences() throws Exception {
    RunStore store = openTracked(new TickingClock(T0));
    String shared = store.createRun(spec("shared"), Map.of()).getId();
    int threads = 8;
    int perThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  String own = store.createRun(spec("own-" + thread), Map.of()).getId();
                  for (int i = 0; i < perThread; i++) {
                    store.appendEvent(
                        shared, RunEvent.newBuilder().setMessage(thread + ":" + i).build());
                    store.updateRun(shared, b -> b.setStep(b.getStep() + 1));
                    store.recordStep(own, StepMetrics.newBuilder().setStep(i + 1).build());
                  }
                  return null;
                }));
      }
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    List<RunEvent> events = store.readEvents(shared, 0, 10_000);
    assertEquals(1 + threads * perThread, events.size());
    for (int i = 0; i < events.size(); i++) {
      assertEquals(i + 1, events.get(i).getSequence());
    }
    Set<String> messages = new HashSet<>();
    events.stream().skip(1).forEach(e -> messages.add(e.getMessage()));
    assertEquals(threads * perThread, messages.size());
    assertEquals(threads * perThread, store.getRun(shared).orElseThrow().getStep());
    RunPage all = store.listRuns(100, "", List.of());
    assertEquals(threads + 1, all.runs().size());
    for (Run r : all.runs()) {
      if (!r.getId().equals(shared)) {
        assertEquals(perThread, r.getStep());
        assertEquals(perThread + 1, store.lastSequence(r.getId()));
      }
    }
    assertFalse(all.runs().stream().map(Run::getId).distinct().count() < threads + 1);
  }

  @Test
  void refusesANewerSchema() throws Exception {
    open(new TickingClock(T0)).close();
    try (Connection c = connect();
        PreparedStatement p =
            c.prepareStatement(
                "INSERT INTO flyway_schema_history (installed_rank, version, description, type,"
                    + " script, checksum, installed_by, execution_time, success) VALUES (99, '99',"
                    + " 'future', 'SQL', 'V99__future.sql', 0, 'a newer orchestrator', 0, ?)")) {
      p.setBoolean(1, true);
      p.executeUpdate();
    }
    StoreException e = assertThrows(StoreException.class, () -> open(new TickingClock(T0)));
    assertTrue(e.getMessage().contains("schema version 99 is newer"), e.getMessage());
  }

  // ---- databases of the migration runner before Flyway --------------------------------------

  /** That runner's migrations 1 and 2, verbatim; {@code ${BLOB}} was the dialect's binary type. */
  private static final List<List<String>> OLD_MIGRATIONS =
      List.of(
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
                last_value BIGINT NOT NULL)"""),
          List.of(
              "CREATE INDEX runs_by_created ON runs (created_ms, id)",
              "CREATE INDEX runs_by_state ON runs (state, created_ms, id)"));

  /**
   * Builds the database as the runner before Flyway left it at a version (past 2: a version it
   * never had, as a newer orchestrator would have written), with a RUNNING run of two events in it
   * written with the old store's SQL.
   *
   * @return that run
   */
  private Run buildOldDatabase(int version) throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, description"
              + " VARCHAR(200) NOT NULL, applied_ms BIGINT NOT NULL)");
      for (int v = 1; v <= version; v++) {
        if (v <= OLD_MIGRATIONS.size()) {
          for (String sql : OLD_MIGRATIONS.get(v - 1)) {
            s.execute(sql.replace("${BLOB}", dialect().blobType()));
          }
        }
        s.executeUpdate(
            "INSERT INTO schema_version (version, description, applied_ms) VALUES ("
                + v
                + ", 'migration "
                + v
                + "', "
                + T0.toEpochMilli()
                + ")");
      }
    }
    return insertRunOfTwoEvents();
  }

  /**
   * A RUNNING run of two events, written with the SQL of the stores before run owners (schema
   * version 2 and the runner before Flyway), and the day's id counter.
   *
   * @return that run
   */
  private Run insertRunOfTwoEvents() throws Exception {
    long t0 = T0.toEpochMilli();
    Timestamp created = Timestamp.newBuilder().setSeconds(T0.getEpochSecond()).build();
    Timestamp started = created.toBuilder().setNanos(1_000_000).build();
    Run run =
        Run.newBuilder()
            .setId("run-20261123-0001")
            .setSpec(spec("old"))
            .setState(RunState.RUN_STATE_RUNNING)
            .setCreated(created)
            .setUpdated(started)
            .putProvenance("code", "old")
            .build();
    List<RunEvent> events =
        List.of(
            RunEvent.newBuilder()
                .setSequence(1)
                .setTime(created)
                .setState(
                    RunStateChange.newBuilder()
                        .setFrom(RunState.RUN_STATE_UNSPECIFIED)
                        .setTo(RunState.RUN_STATE_PENDING)
                        .setReason("created"))
                .build(),
            RunEvent.newBuilder()
                .setSequence(2)
                .setTime(started)
                .setState(
                    RunStateChange.newBuilder()
                        .setFrom(RunState.RUN_STATE_PENDING)
                        .setTo(RunState.RUN_STATE_RUNNING)
                        .setReason("started"))
                .build());
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (PreparedStatement p =
          c.prepareStatement(
              "INSERT INTO runs (id, name, method, task, state, step, created_ms, updated_ms,"
                  + " version, last_sequence, spec, run) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1, 2, ?,"
                  + " ?)")) {
        p.setString(1, run.getId());
        p.setString(2, run.getSpec().getName());
        p.setString(3, run.getSpec().getMethod().name());
        p.setString(4, run.getSpec().getTask().getTaskCase().name());
        p.setString(5, run.getState().name());
        p.setLong(6, t0);
        p.setLong(7, t0 + 1);
        p.setBytes(8, run.getSpec().toByteArray());
        p.setBytes(9, run.toBuilder().clearSpec().build().toByteArray());
        p.executeUpdate();
      }
      try (PreparedStatement p =
          c.prepareStatement(
              "INSERT INTO run_events (run_id, sequence, time_ms, kind, event) VALUES (?, ?, ?,"
                  + " ?, ?)")) {
        for (RunEvent e : events) {
          p.setString(1, run.getId());
          p.setLong(2, e.getSequence());
          p.setLong(3, t0 + e.getSequence() - 1);
          p.setString(4, e.getEventCase().name());
          p.setBytes(5, e.toByteArray());
          p.executeUpdate();
        }
      }
      s.executeUpdate("INSERT INTO run_id_counters (day, last_value) VALUES ('20261123', 1)");
    }
    return run;
  }

  /** Existing users' run histories must survive the move to Flyway. */
  @Test
  void aDatabaseOfTheRunnerBeforeFlywayOpensWithItsRuns() throws Exception {
    Run old = buildOldDatabase(2);
    TickingClock clock = new TickingClock(T0.plusSeconds(60));
    try (JdbcRunStore store = open(clock)) {
      // Adopted at the old runner's version 2, then the newer scripts (V3: run owners) applied.
      assertEquals(store.latestSchemaVersion(), store.schemaVersion());
      assertEquals(old, store.getRun(old.getId()).orElseThrow());
      assertEquals(List.of(old), store.listRuns(0, "", List.of()).runs());
      List<RunEvent> events = store.readEvents(old.getId(), 0, 10);
      assertEquals(List.of(1L, 2L), events.stream().map(RunEvent::getSequence).toList());
      assertEquals("started", events.get(1).getState().getReason());
      assertEquals(2, store.lastSequence(old.getId()));
      // Writing goes on where the old store stopped: the event sequence and the day's counter.
      assertEquals(
          3,
          store
              .transition(old.getId(), RunState.RUN_STATE_COMPLETED, "done")
              .events()
              .get(0)
              .getSequence());
      assertEquals("run-20261123-0002", store.createRun(spec("new"), Map.of()).getId());
    }
    try (JdbcRunStore store = open(clock)) { // now with Flyway's history
      assertEquals(store.latestSchemaVersion(), store.schemaVersion());
      assertEquals(
          RunState.RUN_STATE_COMPLETED, store.getRun(old.getId()).orElseThrow().getState());
      assertEquals(3, store.lastSequence(old.getId()));
    }
  }

  /**
   * V3 (run owners) on a database that Flyway brought to V2 with a run in it: the run keeps
   * everything it had, belongs to no identity ({@code owner} ''), and ListRuns by owner sees it
   * as such.
   */
  @Test
  void aDatabaseAtVersion2GetsRunOwnersAndKeepsItsRuns() throws Exception {
    Flyway.configure(RunStoreContract.class.getClassLoader())
        .dataSource(jdbcUrl(), null, null)
        .locations("classpath:db/migration")
        .placeholders(Map.of("blob", dialect().blobType()))
        .target("2")
        .load()
        .migrate();
    Run old = insertRunOfTwoEvents();
    try (Connection c = connect();
        ResultSet rs = c.getMetaData().getColumns(null, null, "runs", null)) {
      List<String> columns = new ArrayList<>();
      while (rs.next()) {
        columns.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
      }
      assertFalse(columns.contains("owner"), "at V2 still: " + columns);
    }
    TickingClock clock = new TickingClock(T0.plusSeconds(60));
    try (JdbcRunStore store = open(clock)) {
      assertEquals(3, store.latestSchemaVersion(), "V3 is the newest script; extend this test");
      assertEquals(3, store.schemaVersion());
      Run read = store.getRun(old.getId()).orElseThrow();
      assertEquals(old, read);
      assertEquals("", read.getOwner());
      assertEquals(List.of(old), store.listRuns(0, "", List.of(), "").runs());
      assertEquals(List.of(), store.listRuns(0, "", List.of(), "alice").runs());
      assertEquals(List.of(1L, 2L), store.readEvents(old.getId(), 0, 10).stream()
          .map(RunEvent::getSequence).toList());
      // New runs get their owner; the old one's id counter goes on.
      Run mine = store.createRun(spec("new"), Map.of(), "alice");
      assertEquals("run-20261123-0002", mine.getId());
      assertEquals(List.of(mine), store.listRuns(0, "", List.of(), "alice").runs());
    }
    try (Connection c = connect();
        PreparedStatement p = c.prepareStatement("SELECT owner FROM runs WHERE id = ?")) {
      p.setString(1, old.getId());
      try (ResultSet rs = p.executeQuery()) {
        assertTrue(rs.next());
        assertEquals("", rs.getString(1));
      }
    }
  }

  @Test
  void aDatabaseAtTheOldRunnersFirstVersionGetsTheNewerScripts() throws Exception {
    Run old = buildOldDatabase(1);
    try (JdbcRunStore store = open(new TickingClock(T0.plusSeconds(60)))) {
      assertEquals(store.latestSchemaVersion(), store.schemaVersion());
      assertEquals(old, store.getRun(old.getId()).orElseThrow());
    }
    Set<String> indexes = new HashSet<>();
    try (Connection c = connect();
        ResultSet rs = c.getMetaData().getIndexInfo(null, null, "runs", false, false)) {
      while (rs.next()) {
        if (rs.getString("INDEX_NAME") != null) {
          indexes.add(rs.getString("INDEX_NAME").toLowerCase(Locale.ROOT));
        }
      }
    }
    assertTrue(indexes.containsAll(Set.of("runs_by_created", "runs_by_state")), indexes.toString());
  }

  @Test
  void refusesANewerSchemaOfTheRunnerBeforeFlyway() throws Exception {
    buildOldDatabase(9); // newer than every script this code has (V3 is the latest)
    StoreException e = assertThrows(StoreException.class, () -> open(new TickingClock(T0)));
    assertTrue(e.getMessage().contains("schema version 9 is newer"), e.getMessage());
  }
}
