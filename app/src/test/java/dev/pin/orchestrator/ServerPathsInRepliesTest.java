package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.testing.Await;
import dev.pin.orchestrator.data.TaskDataLoader;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.FewShotData;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.Prompt;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.RunView;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17: replies carried the server's folders (the model store, the checkpoint folder, the
 * data folder) in error messages and in checkpoint URIs. The ensemble runs on a temporary home
 * holding all three; its error paths (missing, incomplete and malformed models in every service,
 * missing data, missing checkpoints) and its checkpoint replies must not name that home, and a
 * run stored with an old {@code file:} checkpoint URI still resumes from it.
 */
class ServerPathsInRepliesTest {
  @TempDir Path home;
  private EmbeddedEnsemble ensemble;
  private final List<ManagedChannel> channels = new ArrayList<>();
  /** Every status description and reply the test saw. */
  private final List<String> replies = new ArrayList<>();

  private void start() throws Exception {
    ensemble = EmbeddedEnsemble.create(TinyRuns.ensembleConfig(home),
        "paths-" + UUID.randomUUID(), false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(30, TimeUnit.SECONDS));
  }

  private ManagedChannel channel(String service) {
    ManagedChannel c = InProcessChannelBuilder.forName(ensemble.inProcessName(service)).build();
    channels.add(c);
    return c;
  }

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (ensemble != null) {
      ensemble.close();
    }
  }

  /**
   * Records the reply or the status of {@code call} under {@code what} (never the request itself,
   * which may spell a server path); returns the reply, or null.
   */
  private <T> T call(String what, Supplier<T> call) {
    try {
      T reply = call.get();
      replies.add(what + " -> " + reply);
      return reply;
    } catch (StatusRuntimeException e) {
      replies.add(what + " -> " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return null;
    }
  }

  private static ModelRef model(String name) {
    return ModelRef.newBuilder().setName(name).build();
  }

  @Test
  void noReplyNamesTheServersFolders() throws Exception {
    TinyRuns.write(home);
    Path models = home.resolve("models");
    // An incomplete model (its graph is gone) and one whose manifest is not JSON.
    copy(models.resolve("tiny-bert"), models.resolve("broken-bert"));
    try (var files = Files.list(models.resolve("broken-bert"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".onnx")).toList()) {
        Files.delete(f);
      }
    }
    Files.createDirectories(models.resolve("garbled-bert"));
    Files.writeString(models.resolve("garbled-bert").resolve("manifest.json"), "{not json");
    start();
    List<String> badModels = List.of("broken-bert", "garbled-bert", "absent-bert");

    RunSpec good = TinyRuns.spec(Method.METHOD_PIN, 4);
    // What the orchestrator fills in for PIN, for the calls made to the policy service directly.
    PolicyConfig policyConfig = good.getPolicy().toBuilder()
        .setSparseTsallis(SparseTsallisConfig.getDefaultInstance()).build();
    TaskSpec inline = TaskDataLoader.load(good.getTask(), home);
    RewardGrpc.RewardBlockingStub reward = RewardGrpc.newBlockingStub(channel("reward"));
    ScorerGrpc.ScorerBlockingStub scorer = ScorerGrpc.newBlockingStub(channel("scorer"));
    PolicyGrpc.PolicyBlockingStub policy = PolicyGrpc.newBlockingStub(channel("policy"));
    OrchestratorGrpc.OrchestratorBlockingStub orchestrator =
        OrchestratorGrpc.newBlockingStub(channel("orchestrator"));
    for (String name : badModels) {
      TaskSpec task = inline.toBuilder().setClassification(inline.getClassification().toBuilder()
          .setTaskModel(model(name))).build();
      call("reward RegisterTask " + name, () -> reward.registerTask(
          RegisterTaskRequest.newBuilder().setTask(task).build()));
      call("scorer Naturalness " + name, () -> scorer.naturalness(NaturalnessRequest.newBuilder()
          .setModel(model(name)).addPrompts(Prompt.newBuilder().setText("it was")).build()));
      call("policy CreatePolicy " + name, () -> policy.createPolicy(CreatePolicyRequest
          .newBuilder().setRunId("r-" + name).setConfig(policyConfig.toBuilder()
              .setBackbone(model(name))).build()));
      RunSpec bad = good.toBuilder().setTask(good.getTask().toBuilder().setClassification(
          good.getTask().getClassification().toBuilder().setTaskModel(model(name)))).build();
      call("orchestrator StartRun " + name, () -> orchestrator.startRun(
          StartRunRequest.newBuilder().setSpec(bad).build()));
      call("orchestrator EvaluatePrompt " + name, () -> orchestrator.evaluatePrompt(
          EvaluatePromptRequest.newBuilder().setTask(bad.getTask()).setPromptText("it was")
              .build()));
    }
    // Data that is not there, or not what a few-shot folder holds.
    Files.createDirectories(home.resolve("not-few-shot"));
    Files.writeString(home.resolve("not-few-shot").resolve("test.tsv"), "no header\n");
    for (String dir : List.of("data-missing", "not-few-shot", home.resolve("elsewhere")
        .toString())) {
      TaskSpec task = good.getTask().toBuilder().setClassification(good.getTask()
          .getClassification().toBuilder().setData(DataSource.newBuilder().setFewShot(
              FewShotData.newBuilder().setDir(dir).setSplitSeed(1)))).build();
      call("orchestrator StartRun data " + dir.length(), () -> orchestrator.startRun(
          StartRunRequest.newBuilder().setSpec(good.toBuilder().setTask(task)).build()));
      call("orchestrator EvaluatePrompt data " + dir.length(), () -> orchestrator.evaluatePrompt(
          EvaluatePromptRequest.newBuilder().setTask(task).setPromptText("it was").build()));
    }

    // Checkpoints: named relative to the checkpoint folder, and missing ones by that name.
    CreatePolicyRequest create = CreatePolicyRequest.newBuilder().setRunId("r-ckpt")
        .setConfig(policyConfig).build();
    call("policy CreatePolicy", () -> policy.createPolicy(create));
    CheckpointRef saved = call("policy SaveCheckpoint", () -> policy.saveCheckpoint(
        SaveCheckpointRequest.newBuilder().setRunId("r-ckpt").setEpisodeStep(2).build()));
    assertTrue(saved != null, String.join("\n", replies));
    assertEquals("checkpoint:r-ckpt/step-000000002", saved.getUri());
    for (String uri : List.of("checkpoint:r-ckpt/step-000000003", home.resolve("checkpoints")
        .resolve("r-ckpt").resolve("step-000000003").toUri().toString(), "checkpoint:../x")) {
      call("policy LoadCheckpoint " + uri.length(), () -> policy.loadCheckpoint(LoadCheckpointRequest
          .newBuilder().setRunId("r-ckpt").setConfig(create.getConfig())
          .setCheckpoint(saved.toBuilder().setUri(uri)).build()));
    }

    // A run: its checkpoints in GetRun, ListRuns and WatchRun.
    Run run = call("orchestrator StartRun", () -> orchestrator.startRun(
        StartRunRequest.newBuilder().setSpec(good).build()));
    assertTrue(run != null, String.join("\n", replies));
    List<RunEvent> events = new ArrayList<>();
    orchestrator.withDeadlineAfter(120, TimeUnit.SECONDS).watchRun(WatchRunRequest.newBuilder()
        .setRunId(run.getId()).build()).forEachRemaining(events::add);
    replies.add("orchestrator WatchRun -> " + events);
    Run done = call("orchestrator GetRun", () -> orchestrator.getRun(GetRunRequest.newBuilder()
        .setRunId(run.getId()).build()));
    assertEquals(RunState.RUN_STATE_COMPLETED, done.getState(), done.getError());
    assertEquals("checkpoint:" + run.getId() + "/step-000000004", done.getCheckpoint().getUri());
    assertTrue(events.stream().anyMatch(e -> e.hasCheckpoint()
        && e.getCheckpoint().getUri().startsWith("checkpoint:" + run.getId() + "/")),
        events.toString());
    call("orchestrator ListRuns", () -> orchestrator.listRuns(ListRunsRequest.newBuilder()
        .setView(RunView.RUN_VIEW_FULL).build()));

    // The run as an earlier version stored it: its checkpoint by file: URI. Replies rename it,
    // and a resume still loads it.
    stop();
    String old = home.resolve("checkpoints").resolve(run.getId()).resolve("step-000000004")
        .toUri().toString();
    try (JdbcRunStore store = JdbcRunStore.openSqlite(home.resolve("runs.db"))) {
      store.updateRun(run.getId(), b -> b.getCheckpointBuilder().setUri(old));
      assertEquals(old, store.getRun(run.getId()).orElseThrow().getCheckpoint().getUri());
    }
    start();
    OrchestratorGrpc.OrchestratorBlockingStub again =
        OrchestratorGrpc.newBlockingStub(channel("orchestrator"));
    Run stored = call("orchestrator GetRun (stored file: URI)", () -> again.getRun(
        GetRunRequest.newBuilder().setRunId(run.getId()).build()));
    assertEquals("checkpoint:" + run.getId() + "/step-000000004", stored.getCheckpoint().getUri());
    call("orchestrator ResumeRun", () -> again.resumeRun(ResumeRunRequest.newBuilder()
        .setRunId(run.getId()).setExtraSteps(4).build()));
    Await.until("the resumed run to complete 4 more steps", Duration.ofSeconds(120), () -> {
      Run r = again.getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build());
      return r.getState() == RunState.RUN_STATE_COMPLETED && r.getStep() == 8
          || r.getState() == RunState.RUN_STATE_FAILED;
    });
    Run resumed = call("orchestrator GetRun (resumed)", () -> again.getRun(
        GetRunRequest.newBuilder().setRunId(run.getId()).build()));
    assertEquals(8, resumed.getStep());
    List<RunEvent> history = new ArrayList<>();
    again.withDeadlineAfter(60, TimeUnit.SECONDS).watchRun(WatchRunRequest.newBuilder()
        .setRunId(run.getId()).build()).forEachRemaining(history::add);
    replies.add("orchestrator WatchRun (resumed) -> " + history);
    assertTrue(history.stream().anyMatch(e -> e.getMessage().contains("resumed from the "
        + "checkpoint at step 4")), history.toString());

    // The folders are named by their settings, so the errors still say where to look.
    String all = String.join("\n", replies);
    List<String> roots = new ArrayList<>(List.of(home.toString(), home.toUri().getRawPath()));
    roots.add(home.toRealPath().toString());
    for (String root : roots) {
      for (String reply : replies) {
        assertFalse(reply.contains(root), "a reply names the server's folder " + root + ":\n"
            + reply);
      }
    }
    assertTrue(all.contains("<models.home>/broken-bert"), all);
    assertTrue(all.contains("absent-bert"), all);
    assertTrue(all.contains("checkpoint:r-ckpt/step-000000003"), all);
  }

  private static void copy(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }
}
