package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.kit.testing.Await;
import dev.pin.models.testing.TinyModels;
import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pin train}, {@code pin watch} and {@code pin runs} against an embedded ensemble on the
 * tiny random BERT, reached over in-process channels: spec errors refused before a run exists,
 * failed runs with their reasons, and exit codes that follow the run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainWatchRunsCommandTest {
  private static final String[][] SENTENCES = {
      {"a great movie", "1"}, {"the best film", "1"}, {"really fun acting", "1"},
      {"i love this story", "1"}, {"a terrible plot", "0"}, {"the worst acting", "0"},
      {"so boring", "0"}, {"i hate this movie", "0"}};

  private Path home;
  private EmbeddedEnsemble ensemble;
  private ManagedChannel channel;
  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator;
  private String address;


  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    home = dir;
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 3);
    StringBuilder tsv = new StringBuilder("sentence\tlabel\n");
    for (String[] s : SENTENCES) {
      tsv.append(s[0]).append('\t').append(s[1]).append('\n');
    }
    Files.createDirectories(home.resolve("data/16-1"));
    Files.writeString(home.resolve("data/16-1/train.tsv"), tsv);
    Files.writeString(home.resolve("data/16-1/dev.tsv"), tsv);
    Files.writeString(home.resolve("data/test.tsv"), tsv);
    Map<String, String> config = new HashMap<>(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1",
        "scorer.model", "tiny-bert"));
    ensemble = EmbeddedEnsemble.create(Config.of(config), "cli-train-" + UUID.randomUUID(),
        false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(60, TimeUnit.SECONDS));
    address = "in-process:" + ensemble.inProcessName("orchestrator");
    channel = InProcessChannelBuilder.forName(ensemble.inProcessName("orchestrator")).build();
    orchestrator = OrchestratorGrpc.newBlockingStub(channel);
  }

  @AfterAll
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (ensemble != null) {
      ensemble.close();
    }
  }

  /** A spec of the tiny classification task; {@code policyExtra} is one more policy line. */
  private Path spec(String name, String taskModel, String verbalizers, String policyExtra)
      throws Exception {
    return spec(name, taskModel, verbalizers, policyExtra, "data");
  }

  private Path spec(String name, String taskModel, String verbalizers, String policyExtra,
      String dataDir) throws Exception {
    Path file = home.resolve(name + ".yaml");
    Files.writeString(file, String.join("\n",
        "name: " + name,
        "method: rlprompt",
        "task:",
        "  classification:",
        "    task_model: { name: " + taskModel + " }",
        "    verbalizers: " + verbalizers,
        "    data:",
        "      few_shot: { dir: " + dataDir + ", split_seed: 1 }",
        "policy:",
        "  backbone: { name: tiny-bert }",
        "  mlp_hidden_size: 32",
        policyExtra,
        "prompts_per_step: 4",
        "budget: { max_steps: 4 }",
        "evaluation: { every_steps: 2, top_prompts: 2 }",
        "checkpoint_every_steps: 4",
        "seed: 5",
        ""));
    return file;
  }

  /** A run StartRun accepts that fails in its first step ({@code FailingReward}). */
  private Path failingSpec(String name) throws Exception {
    Path file = home.resolve(name + ".yaml");
    Files.writeString(file, String.join("\n",
        "name: " + name,
        "method: pin",
        "task:",
        "  custom: { reward_function: " + dev.pin.orchestrator.FailingReward.NAME + " }",
        "policy:",
        "  backbone: { name: tiny-bert }",
        "  mlp_hidden_size: 32",
        "prompts_per_step: 4",
        "budget: { max_steps: 4 }",
        "seed: 5",
        ""));
    return file;
  }

  private CliRun run(String... args) {
    return CliRun.of(Map.of("PIN_ADDRESS", address), args);
  }

  private List<Run> runs() {
    return orchestrator.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build())
        .getRunsList();
  }

  private List<Run> runsNamed(String name) {
    return runs().stream().filter(r -> r.getSpec().getName().equals(name)).toList();
  }

  @Test
  void startRunRefusesAnUnknownModelWithFailedPreconditionNamingTheFieldAndStoresNoRun()
      throws Exception {
    int before = runs().size();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(RunSpecYaml.read(
            spec("unknown-model", "no-such-model", "[terrible, great]", ""))).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith(
        "spec.task.classification.task_model: model 'no-such-model' is not in"), e.toString());
    assertTrue(e.getStatus().getDescription().contains("pin models import no-such-model --from"),
        e.toString());
    dev.pin.v1.RunSpec.Builder unknownBackbone = RunSpecYaml.read(
        spec("unknown-backbone", "tiny-bert", "[terrible, great]", "")).toBuilder();
    unknownBackbone.getPolicyBuilder().getBackboneBuilder().setName("no-such-backbone");
    StatusRuntimeException backbone = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(unknownBackbone)
            .build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, backbone.getStatus().getCode());
    assertTrue(backbone.getStatus().getDescription().startsWith(
        "spec.policy.backbone: model 'no-such-backbone' is not in the model store"),
        backbone.toString());
    dev.pin.v1.RunSpec.Builder unknownPenaltyModel = RunSpecYaml.read(
        spec("unknown-penalty-lm", "tiny-bert", "[terrible, great]", "")).toBuilder();
    unknownPenaltyModel.getShapingBuilder().getPerplexityPenaltyBuilder().setLambda(1)
        .getModelBuilder().setName("no-such-lm");
    StatusRuntimeException penalty = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(unknownPenaltyModel)
            .build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, penalty.getStatus().getCode());
    assertTrue(penalty.getStatus().getDescription().startsWith(
        "spec.shaping.perplexity_penalty.model: model 'no-such-lm' is not in the model store"),
        penalty.toString());
    // Both services' problems at once: the backbone and the task model.
    dev.pin.v1.RunSpec.Builder unknownBoth = RunSpecYaml.read(
        spec("unknown-both", "no-such-model", "[terrible, great]", "")).toBuilder();
    unknownBoth.getPolicyBuilder().getBackboneBuilder().setName("no-such-backbone");
    StatusRuntimeException both = assertThrows(StatusRuntimeException.class,
        () -> orchestrator.startRun(StartRunRequest.newBuilder().setSpec(unknownBoth).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, both.getStatus().getCode());
    assertTrue(both.getStatus().getDescription().startsWith("spec.policy.backbone: model "
        + "'no-such-backbone'") && both.getStatus().getDescription().contains(
        "; spec.task.classification.task_model: model 'no-such-model'"), both.toString());
    assertEquals(before, runs().size(), "no run record for a refused spec");
  }

  @Test
  void trainDetachWithASpecTheServicesRefuseExitsNonZeroAndCreatesNoRun() throws Exception {
    int before = runs().size();
    CliRun model = run("train", "--detach",
        spec("cli-unknown-model", "no-such-model", "[terrible, great]", "").toString());
    assertEquals(Pin.ExitCodes.USAGE, model.exit(), model.out() + model.err());
    assertTrue(model.err().contains("answered FAILED_PRECONDITION: "
        + "spec.task.classification.task_model: model 'no-such-model'"), model.err());
    // "wonderful" is w ##o ##n ... in the tiny vocabulary: not one token.
    CliRun verbalizer = run("train", "--detach",
        spec("cli-split-verbalizer", "tiny-bert", "[terrible, wonderful]", "").toString());
    assertEquals(Pin.ExitCodes.USAGE, verbalizer.exit(), verbalizer.err());
    assertTrue(verbalizer.err().contains("INVALID_ARGUMENT: "
        + "spec.task.classification.verbalizers[1]: \"wonderful\" is not one token"),
        verbalizer.err());
    CliRun data = run("train", "--detach", spec("cli-no-data", "tiny-bert",
        "[terrible, great]", "", "no-such-data").toString());
    assertEquals(Pin.ExitCodes.USAGE, data.exit(), data.err());
    assertTrue(data.err().contains("INVALID_ARGUMENT: spec.task.classification.data.few_shot"
        + ".dir: ") && data.err().contains("train.tsv: no such file"), data.err());
    assertTrue(data.err().contains("pin data check few-shot no-such-data")
        && data.err().contains("examples/README.md"), data.err());
    CliRun eval = run("eval", spec("cli-eval-no-data", "tiny-bert", "[terrible, great]", "",
        "no-such-data").toString(), "it was");
    assertEquals(Pin.ExitCodes.USAGE, eval.exit(), eval.err());
    assertTrue(eval.err().contains("INVALID_ARGUMENT: task.classification.data.few_shot.dir: ")
        && eval.err().contains("train.tsv: no such file"), eval.err());
    assertEquals(before, runs().size(), "no run record for a refused spec");
  }

  @Test
  void aFailedRunShowsItsReasonInRunsAndWatchExitsNonZero() throws Exception {
    // A reward that refuses every Score as the spec's fault: the run passes StartRun's checks
    // and fails in its first step, with a reason resuming cannot fix.
    CliRun started = run("train", "--detach", failingSpec("cli-fails").toString());
    assertEquals(0, started.exit(), started.err());
    Run run = runsNamed("cli-fails").get(0);
    Await.until("the run failed", Duration.ofSeconds(60), () -> orchestrator.getRun(
        GetRunRequest.newBuilder().setRunId(run.getId()).build()).getState()
        == RunState.RUN_STATE_FAILED);

    CliRun listed = run("runs");
    assertEquals(0, listed.exit(), listed.err());
    String reason = listed.out().lines().dropWhile(l -> !l.startsWith(run.getId())).skip(1)
        .findFirst().orElseThrow();
    assertTrue(reason.startsWith("    failed: a service answered INVALID_ARGUMENT: ")
        && reason.contains("test-always-fails refuses every call"), listed.out());
    assertTrue(reason.endsWith("(the run's spec is at fault and resuming would rerun it "
        + "unchanged: fix the spec and start a new run)"), reason);
    assertFalse(reason.contains("resume it with"), reason);

    CliRun watched = run("watch", run.getId());
    assertEquals(Pin.ExitCodes.FAILED, watched.exit(), watched.out() + watched.err());
    assertTrue(watched.out().contains("state running -> failed") || watched.out().contains(
        "state pending -> failed"), watched.out());
  }

  @Test
  void runsLimitZeroListsEveryRun() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertEquals(0, run("train", "--detach", failingSpec("cli-limit").toString()).exit());
    }
    Await.until("no run active", Duration.ofSeconds(60), () -> runs().stream()
        .allMatch(r -> r.getState() == RunState.RUN_STATE_FAILED
            || r.getState() == RunState.RUN_STATE_COMPLETED));
    int all = runs().size();
    assertTrue(all >= 3, "runs: " + all);
    CliRun every = run("runs", "--limit=0", "--json");
    assertEquals(0, every.exit(), every.err());
    assertEquals(all, every.out().lines().count(), every.out());
    CliRun one = run("runs", "--limit=1", "--json");
    assertEquals(1, one.out().lines().count(), one.out());
  }

  @Test
  void trainFollowsARunWithElapsedTimeEtaAndTheBestDevScore() throws Exception {
    CliRun r = run("train", spec("cli-completes", "tiny-bert", "[terrible, great]", "")
        .toString());
    assertEquals(0, r.exit(), r.out() + r.err());
    List<String> steps = r.out().lines().filter(l -> l.startsWith("step ")).toList();
    // Not a terminal: the first and the last step at least (4 steps take well under 10 s).
    assertTrue(steps.get(0).startsWith("step 1/4 "), r.out());
    assertTrue(steps.get(steps.size() - 1).startsWith("step 4/4 "), r.out());
    assertTrue(steps.get(0).matches(".* \\| \\d+:\\d\\d elapsed, ETA \\d+:\\d\\d"), steps.get(0));
    assertTrue(steps.get(steps.size() - 1).contains("(best "), steps.get(steps.size() - 1));
    assertTrue(r.out().lines().filter(l -> l.startsWith("dev at step ")).count() >= 2, r.out());
    CliRun watched = run("watch", runsNamed("cli-completes").get(0).getId());
    assertEquals(0, watched.exit(), watched.err());
  }
}
