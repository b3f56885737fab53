package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.testing.Await;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.WatchRunRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole runs in distributed mode: four {@code pin serve} processes on localhost over TCP, tiny
 * random models, and services killed with SIGKILL mid-run. One cluster serves every test (starting
 * four JVMs is the slow part); each test leaves all four processes running.
 */
class DistributedTrainingTest {
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(8);
  @TempDir static Path dir;
  private static LocalCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    TinyRuns.write(dir);
    // A restarted JVM on a busy machine can take a minute to serve again; the run waits for it.
    cluster = new LocalCluster(dir, Map.of("orchestrator.recovery-window", "240s")).startAll();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static OrchestratorGrpc.OrchestratorBlockingStub orchestrator() {
    return OrchestratorGrpc.newBlockingStub(cluster.channel("orchestrator"));
  }

  private static Run get(String runId) {
    return orchestrator().withDeadlineAfter(30, TimeUnit.SECONDS)
        .getRun(GetRunRequest.newBuilder().setRunId(runId).build());
  }

  /** WatchRun over TCP: the history, then live events until the run ends. */
  private static List<RunEvent> watch(String runId) {
    List<RunEvent> events = new ArrayList<>();
    orchestrator().withDeadlineAfter(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
        .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
        .forEachRemaining(events::add);
    return events;
  }

  private static RunState lastState(List<RunEvent> events) {
    RunState state = RunState.RUN_STATE_UNSPECIFIED;
    for (RunEvent e : events) {
      if (e.hasState()) {
        state = e.getState().getTo();
      }
    }
    return state;
  }

  /** The step records in the orchestrator's database (read by a second connection). */
  private static List<StepMetrics> storedSteps(String runId) {
    try (JdbcRunStore store = JdbcRunStore.openSqlite(cluster.storeFile())) {
      return store.readSteps(runId, 0, 100_000);
    }
  }

  private static List<EvaluationResult> storedEvaluations(String runId) {
    try (JdbcRunStore store = JdbcRunStore.openSqlite(cluster.storeFile())) {
      return store.readEvaluations(runId);
    }
  }

  private static void assertStepsAreOneToN(String runId, long n) {
    List<Long> steps = storedSteps(runId).stream().map(StepMetrics::getStep).toList();
    assertEquals(LongStream.rangeClosed(1, n).boxed().toList(), steps,
        "stored step metrics: each step once, none missing");
  }

  private static String logs() {
    StringBuilder all = new StringBuilder();
    for (String service : EmbeddedEnsemble.SERVICES) {
      all.append("\n---- ").append(service).append(" log ----\n")
          .append(cluster.logText(service));
    }
    return all.toString();
  }

  @Test
  void pinAndRlpromptRunsStartedOverTcpComplete() {
    // Both at once: several runs share the three services.
    Run pin = orchestrator().startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_PIN, 12)).build());
    Run rlprompt = orchestrator().startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_RLPROMPT, 12)).build());
    for (Run started : List.of(pin, rlprompt)) {
      List<RunEvent> events = watch(started.getId());
      assertEquals(RunState.RUN_STATE_COMPLETED, lastState(events), events + logs());
      assertEquals(12, events.stream().filter(RunEvent::hasStep).count());
      assertTrue(events.stream().anyMatch(RunEvent::hasCheckpoint));

      Run done = get(started.getId());
      assertEquals(RunState.RUN_STATE_COMPLETED, done.getState());
      assertEquals(12, done.getStep());
      assertFalse(done.getBestPromptsList().isEmpty(), "prompts in the store");
      for (ScoredPrompt p : done.getBestPromptsList()) {
        assertTrue(p.getTested());
        assertEquals(5, p.getPrompt().getTokenIdsCount());
        assertFalse(p.getPrompt().getText().isBlank());
      }
      assertStepsAreOneToN(started.getId(), 12);
      List<EvaluationResult> evaluations = storedEvaluations(started.getId());
      assertEquals(3, evaluations.stream().filter(e -> e.getSplit() == Split.SPLIT_DEV).count(),
          "dev evaluations at steps 4, 8 and 12");
      assertEquals(done.getBestPromptsCount(),
          evaluations.stream().filter(e -> e.getSplit() == Split.SPLIT_TEST).count(),
          "each best prompt evaluated on test");
    }
  }

  @Test
  void aKilledPolicyProcessIsReplacedAndTheRunContinuesFromItsCheckpoint() throws Exception {
    long steps = 60;
    Run started = orchestrator().startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_PIN, steps)).build());
    Await.until("a checkpoint", RUN_TIMEOUT, () -> get(started.getId()).hasCheckpoint());
    cluster.kill("policy");
    Run atKill = get(started.getId());
    assertTrue(atKill.getStep() < steps, "killed mid-run, at step " + atKill.getStep());

    // A new process on the same port, over the same checkpoint directory.
    cluster.start("policy");
    cluster.awaitServing("policy");
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, lastState(events), events + logs());

    // The rollback is in the event log, and training went on from the step after it.
    Pattern rolledBack = Pattern.compile("rolled back to the checkpoint at step (\\d+)");
    int at = -1;
    long checkpointStep = -1;
    for (int i = 0; i < events.size() && at < 0; i++) {
      Matcher m = rolledBack.matcher(events.get(i).getMessage());
      if (m.find()) {
        at = i;
        checkpointStep = Long.parseLong(m.group(1));
      }
    }
    assertTrue(at >= 0, "the recovery is logged: " + events);
    assertTrue(checkpointStep >= 4 && checkpointStep <= atKill.getStep(), "" + checkpointStep);
    long next = events.subList(at, events.size()).stream().filter(RunEvent::hasStep)
        .findFirst().orElseThrow().getStep().getStep();
    assertEquals(checkpointStep + 1, next, "training continues after the checkpoint's step");

    assertEquals(steps, get(started.getId()).getStep());
    assertStepsAreOneToN(started.getId(), steps);
    // The new process restored the policy from the checkpoint, finished the run with it, and
    // freed it when the run ended.
    StatusRuntimeException dropped = assertThrows(StatusRuntimeException.class,
        () -> PolicyGrpc.newBlockingStub(cluster.channel("policy"))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .getPolicy(GetPolicyRequest.newBuilder().setRunId(started.getId()).build()));
    assertEquals(Status.Code.NOT_FOUND, dropped.getStatus().getCode());
  }

  @Test
  void aKilledOrchestratorLeavesTheRunInterruptedAndResumeRunCompletesIt() throws Exception {
    long steps = 60;
    Run started = orchestrator().startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_RLPROMPT, steps)).build());
    Await.until("a checkpoint", RUN_TIMEOUT, () -> get(started.getId()).hasCheckpoint());
    cluster.kill("orchestrator");
    cluster.start("orchestrator");
    cluster.awaitServing("orchestrator");

    Run interrupted = get(started.getId());
    assertEquals(RunState.RUN_STATE_INTERRUPTED, interrupted.getState(), logs());
    assertTrue(interrupted.getStep() < steps, "killed mid-run, at step " + interrupted.getStep());
    long checkpointStep = interrupted.getCheckpoint().getEpisodeStep();

    orchestrator().resumeRun(ResumeRunRequest.newBuilder().setRunId(started.getId()).build());
    List<RunEvent> events = watch(started.getId());
    assertEquals(RunState.RUN_STATE_COMPLETED, lastState(events), events + logs());
    assertTrue(events.stream().anyMatch(e -> e.getMessage()
        .equals("resumed from the checkpoint at step " + checkpointStep)), events.toString());
    assertEquals(steps, get(started.getId()).getStep());
    assertStepsAreOneToN(started.getId(), steps);
  }
}
