package dev.pin.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.ComputeLossRequest;
import dev.pin.v1.ComputeLossResponse;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DecodeMode;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.FloatRow;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PinLoss;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.PolicyInfo;
import dev.pin.v1.QTrajectory;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.RewardedPrompt;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SampleResponse;
import dev.pin.v1.SampledPrompt;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.UpdateRequest;
import dev.pin.v1.UpdateResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Policy service over in-process gRPC, on a tiny random-weight BERT from the model store. */
class PolicyServiceTest {
  @TempDir Path home;
  private ServiceHost host;
  private ManagedChannel channel;
  private PolicyGrpc.PolicyBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 7);
    PolicySettings settings = PolicySettings.read(Config.of(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "policy.max-policies", "2",
        "policy.metrics-port", "-1")));
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(new PolicyServer(settings, Metrics.newRegistry("policy")),
        Metrics.newRegistry("policy"), List.of(InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
    stub = PolicyGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    host.close();
  }

  private static PolicyConfig pin(long seed) {
    return PolicyConfig.newBuilder()
        .setBackbone(ModelRef.newBuilder().setName("tiny-bert"))
        .setMlpHiddenSize(32)
        .setSeed(seed)
        .setSparseTsallis(SparseTsallisConfig.getDefaultInstance())
        .setReplay(ReplayConfig.newBuilder().setEnabled(true).setCapacity(64).setWarmup(8)
            .setBatchSize(8))
        .build();
  }

  private static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  @Test
  void createSampleUpdateOnTheTinyBackbone() {
    PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-a")
        .setConfig(pin(1)).build());
    assertEquals(5, info.getConfig().getPromptLength(), "§8 default T");
    assertTrue(info.getActionSpaceSize() > 0 && info.getTrainableParameters() > 0);
    SampleResponse sampled = stub.sample(SampleRequest.newBuilder().setRunId("run-a")
        .setBatchSize(4).build());
    assertEquals(4, sampled.getPromptsCount());
    for (SampledPrompt p : sampled.getPromptsList()) {
      assertEquals(5, p.getPrompt().getTokenIdsCount());
      assertEquals(5, p.getPrompt().getTokensCount());
      assertFalse(p.getPrompt().getText().isBlank());
      for (String token : p.getPrompt().getTokensList()) {
        assertFalse(token.startsWith("[") && token.endsWith("]"), "special token " + token);
      }
    }
    UpdateRequest.Builder update = UpdateRequest.newBuilder().setRunId("run-a");
    for (SampledPrompt p : sampled.getPromptsList()) {
      update.addPrompts(RewardedPrompt.newBuilder().setSampleId(p.getSampleId())
          .setReward(p.getPrompt().getTokenIds(0) % 3));
    }
    UpdateResponse warming = stub.update(update.build());
    assertFalse(warming.getUpdated(), "replay warms up to 8 prompts first");
    assertEquals(4, warming.getReplaySize());
    SampleResponse more = stub.sample(SampleRequest.newBuilder().setRunId("run-a")
        .setBatchSize(4).build());
    UpdateRequest.Builder second = UpdateRequest.newBuilder().setRunId("run-a");
    for (SampledPrompt p : more.getPromptsList()) {
      second.addPrompts(RewardedPrompt.newBuilder().setSampleId(p.getSampleId()).setReward(1));
    }
    UpdateResponse stepped = stub.update(second.build());
    assertTrue(stepped.getUpdated());
    assertEquals(1, stepped.getStep());
    assertTrue(Float.isFinite(stepped.getLoss()));
    assertEquals(1, stub.getPolicy(GetPolicyRequest.newBuilder().setRunId("run-a").build())
        .getStep());

    fails(Status.Code.INVALID_ARGUMENT, () -> stub.update(UpdateRequest.newBuilder()
        .setRunId("run-a").addPrompts(RewardedPrompt.newBuilder().setSampleId(999_999)
            .setReward(1)).build()));
    fails(Status.Code.ALREADY_EXISTS, () -> stub.createPolicy(CreatePolicyRequest.newBuilder()
        .setRunId("run-a").setConfig(pin(1)).build()));
  }

  @Test
  void boundedNumberOfPoliciesAndDrop() {
    // Runs' policies, as the orchestrator creates them: never evicted, so the limit refuses.
    PolicyGrpc.PolicyBlockingStub stub =
        this.stub.withInterceptors(dev.pin.kit.grpc.Identity.actingForRunOf(""));
    for (String run : List.of("r1", "r2")) {
      stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId(run).setConfig(pin(1)).build());
    }
    StatusRuntimeException full = fails(Status.Code.RESOURCE_EXHAUSTED,
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("r3")
            .setConfig(pin(1)).build()));
    assertTrue(full.getStatus().getDescription().contains("policy.max-policies"));
    assertTrue(stub.dropPolicy(DropPolicyRequest.newBuilder().setRunId("r1").build())
        .getDropped());
    fails(Status.Code.NOT_FOUND, () -> stub.dropPolicy(DropPolicyRequest.newBuilder()
        .setRunId("r1").build()));
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("r3").setConfig(pin(1)).build());
  }

  @Test
  void missingModelsAreFailedPreconditions() {
    StatusRuntimeException missing = fails(Status.Code.FAILED_PRECONDITION,
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("x").setConfig(
            pin(1).toBuilder().setBackbone(ModelRef.newBuilder().setName("bert-large"))).build()));
    assertTrue(missing.getStatus().getDescription().contains("pin models import bert-large"));
  }

  @Test
  void cudaWithoutAGpuFallsBackToTheCpuWithAWarning() {
    // What this checks only holds where DJL's PyTorch sees no GPU (the CPU natives we ship).
    assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "a GPU is visible");
    List<LogRecord> warnings = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (record.getLevel() == Level.WARNING) {
          warnings.add(record);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger logger = Logger.getLogger(PolicyDevice.class.getName());
    logger.addHandler(capture);
    try {
      PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("gpu")
          .setConfig(pin(1).toBuilder().setDevice("cuda:0")).build());
      assertEquals("cpu", info.getDevice(), "the policy reports where it really runs");
      assertEquals("cpu", info.getConfig().getDevice());
      assertEquals(1, warnings.size(), "one warning for the fallback");
      assertTrue(warnings.get(0).getMessage().contains("cuda:0"), warnings.get(0).getMessage());
      SampleResponse sampled = stub.sample(SampleRequest.newBuilder().setRunId("gpu")
          .setBatchSize(2).build());
      assertEquals(2, sampled.getPromptsCount());
    } finally {
      logger.removeHandler(capture);
    }
  }

  @Test
  void aCausalBackboneIsPickedByItsManifest() throws Exception {
    TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 4);
    PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("clm")
        .setConfig(PolicyConfig.newBuilder()
            .setBackbone(ModelRef.newBuilder().setName("tiny-gpt2"))
            .setMlpHiddenSize(32)
            .setSeed(3)
            .setSoftQ(SoftQLearningConfig.getDefaultInstance()))
        .build());
    assertEquals(256, info.getActionSpaceSize(), "257 ids minus <|endoftext|>");
    SampleResponse sampled = stub.sample(SampleRequest.newBuilder().setRunId("clm")
        .setBatchSize(4).build());
    UpdateRequest.Builder update = UpdateRequest.newBuilder().setRunId("clm");
    for (SampledPrompt p : sampled.getPromptsList()) {
      assertEquals(5, p.getPrompt().getTokenIdsCount());
      for (int id : p.getPrompt().getTokenIdsList()) {
        assertTrue(id >= 0 && id < 256, "special or out-of-vocabulary id " + id);
      }
      update.addPrompts(RewardedPrompt.newBuilder().setSampleId(p.getSampleId())
          .setReward(p.getPrompt().getTokenIds(0) % 3));
    }
    UpdateResponse stepped = stub.update(update.build());
    assertTrue(stepped.getUpdated(), "SQL is on-policy: every update takes a step");
    assertTrue(Float.isFinite(stepped.getLoss()));
  }

  @Test
  void checkpointThenLoadContinuesExactly() {
    PolicyConfig config = pin(3).toBuilder().clearSparseTsallis()
        .setSoftQ(SoftQLearningConfig.getDefaultInstance()).clearReplay().build();
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-c").setConfig(config)
        .build());
    for (int step = 0; step < 2; step++) {
      SampleResponse s = stub.sample(SampleRequest.newBuilder().setRunId("run-c")
          .setBatchSize(3).build());
      UpdateRequest.Builder u = UpdateRequest.newBuilder().setRunId("run-c");
      for (SampledPrompt p : s.getPromptsList()) {
        u.addPrompts(RewardedPrompt.newBuilder().setSampleId(p.getSampleId())
            .setReward(p.getPrompt().getTokenIds(1) % 5));
      }
      assertTrue(stub.update(u.build()).getUpdated(), "on-policy: every update steps");
    }
    CheckpointRef ref = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-c")
        .build());
    assertEquals(2, ref.getStep());
    assertEquals(64, ref.getSha256().length());
    SampleResponse before = stub.sample(SampleRequest.newBuilder().setRunId("run-c")
        .setBatchSize(3).build());

    // A "restarted" service: drop the policy, load the checkpoint under the same run.
    stub.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-c").build());
    PolicyInfo restored = stub.loadCheckpoint(LoadCheckpointRequest.newBuilder()
        .setRunId("run-c").setCheckpoint(ref).setConfig(config).build());
    assertEquals(2, restored.getStep());
    SampleResponse after = stub.sample(SampleRequest.newBuilder().setRunId("run-c")
        .setBatchSize(3).build());
    for (int i = 0; i < 3; i++) {
      assertEquals(before.getPrompts(i).getPrompt().getTokenIdsList(),
          after.getPrompts(i).getPrompt().getTokenIdsList(), "same RNG state, same samples");
    }
    fails(Status.Code.INVALID_ARGUMENT, () -> stub.loadCheckpoint(LoadCheckpointRequest
        .newBuilder().setRunId("run-c").setCheckpoint(ref)
        .setConfig(config.toBuilder().setSeed(4)).build()));
    fails(Status.Code.DATA_LOSS, () -> stub.loadCheckpoint(LoadCheckpointRequest.newBuilder()
        .setRunId("run-c").setCheckpoint(ref.toBuilder().setSha256("00".repeat(32)))
        .setConfig(config).build()));
    fails(Status.Code.NOT_FOUND, () -> stub.loadCheckpoint(LoadCheckpointRequest.newBuilder()
        .setRunId("run-c").setCheckpoint(ref.toBuilder().setUri(ref.getUri() + "x"))
        .setConfig(config).build()));
  }

  /**
   * Issue #17: SaveCheckpoint named the checkpoint by its server path (a file: URI). It is named
   * relative to the checkpoint folder now; LoadCheckpoint reads that form and still the file: URIs
   * of runs stored before, inside the folder only, and its errors name neither.
   */
  @Test
  void checkpointsAreNamedRelativeToTheCheckpointFolder() {
    PolicyConfig config = pin(5);
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-u").setConfig(config)
        .build());
    CheckpointRef ref = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-u")
        .setEpisodeStep(3).build());
    assertEquals("checkpoint:run-u/step-000000003", ref.getUri());
    assertTrue(java.nio.file.Files.isDirectory(
        home.resolve("checkpoints").resolve("run-u").resolve("step-000000003")));
    assertEquals(0, stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-u")
        .setCheckpoint(ref).setConfig(config).build()).getStep());
    // What an earlier version returned and a run store still holds.
    String old = home.resolve("checkpoints").resolve("run-u").resolve("step-000000003").toUri()
        .toString();
    assertEquals(0, stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-u")
        .setCheckpoint(ref.toBuilder().setUri(old)).setConfig(config).build()).getStep());
    String root = home.toString();
    for (String uri : List.of("checkpoint:run-u/step-000000009",
        old.replace("step-000000003", "step-000000009"))) {
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class, () -> stub.loadCheckpoint(LoadCheckpointRequest
              .newBuilder().setRunId("run-u").setCheckpoint(ref.toBuilder().setUri(uri))
              .setConfig(config).build()));
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains("checkpoint:run-u/step-000000009"),
          e.getStatus().toString());
      assertFalse(e.getStatus().getDescription().contains(root), e.getStatus().toString());
    }
    for (String uri : List.of("checkpoint:../elsewhere", "checkpoint:run-u/../../x",
        "checkpoint:/etc", "checkpoint:")) {
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
          StatusRuntimeException.class, () -> stub.loadCheckpoint(LoadCheckpointRequest
              .newBuilder().setRunId("run-u").setCheckpoint(ref.toBuilder().setUri(uri))
              .setConfig(config).build()));
      assertTrue(e.getStatus().getCode() == Status.Code.PERMISSION_DENIED
          || e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT, uri + ": " + e.getStatus());
      assertFalse(e.getStatus().getDescription().contains(root), e.getStatus().toString());
    }
  }

  /** Issue #17: mlp_hidden_size 65 536 built ~100 M parameters and a 1.6 GB checkpoint. */
  @Test
  void aPolicyWiderThanTheLimitIsRefused() {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> stub.createPolicy(CreatePolicyRequest.newBuilder()
            .setRunId("run-big").setConfig(pin(3).toBuilder().setMlpHiddenSize(65536)).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(
        "config.mlp_hidden_size: must be between 1 and 8192, got 65536"), e.getStatus().toString());
  }

  /** RLPrompt's optional LM filter (soft_q.lm_filter, issue #13) is checked like PIN's. */
  @Test
  void aNegativeRlpromptFilterKIsRefusedWithItsField() {
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
        StatusRuntimeException.class, () -> stub.createPolicy(CreatePolicyRequest.newBuilder()
            .setRunId("run-k").setConfig(PolicyConfig.newBuilder()
                .setBackbone(ModelRef.newBuilder().setName("tiny-bert"))
                .setSoftQ(SoftQLearningConfig.newBuilder()
                    .setLmFilter(LmFilterConfig.newBuilder().setTopK(-3)))).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(
        "config.soft_q.lm_filter.top_k: must be 0 (no filter, the papers' RLPrompt) or a positive k, got -3"),
        e.getStatus().toString());
  }

  /** Issue #17: during PIN's replay warm-up every checkpoint overwrote step-000000000. */
  @Test
  void checkpointsDuringTheReplayWarmUpGetAFolderPerEpisodeStep() {
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-w").setConfig(pin(3))
        .build());
    CheckpointRef first = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder()
        .setRunId("run-w").setEpisodeStep(4).build());
    CheckpointRef second = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder()
        .setRunId("run-w").setEpisodeStep(8).build());
    assertEquals(0, first.getStep(), "no gradient step yet");
    assertEquals("checkpoint:run-w/step-000000004", first.getUri());
    assertEquals("checkpoint:run-w/step-000000008", second.getUri());
    assertTrue(java.nio.file.Files.isDirectory(home.resolve("checkpoints").resolve("run-w")
        .resolve("step-000000004")), "the first is not overwritten");
    fails(Status.Code.INVALID_ARGUMENT, () -> stub.saveCheckpoint(SaveCheckpointRequest
        .newBuilder().setRunId("run-w").setEpisodeStep(-1).build()));
  }

  /** Issue #17: checkpoints were never deleted; policy.keep-checkpoints (default 3) bounds them. */
  @Test
  void onlyTheNewestCheckpointsOfARunAreKept() throws Exception {
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-k").setConfig(pin(3))
        .build());
    List<CheckpointRef> refs = new ArrayList<>();
    for (int step = 1; step <= 5; step++) {
      refs.add(stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-k")
          .setEpisodeStep(step).build()));
    }
    java.nio.file.Path runDir = home.resolve("checkpoints").resolve("run-k");
    try (var folders = java.nio.file.Files.list(runDir)) {
      assertEquals(List.of("step-000000003", "step-000000004", "step-000000005"),
          folders.map(p -> p.getFileName().toString()).sorted().toList());
    }
    stub.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-k").build());
    assertEquals("run-k", stub.loadCheckpoint(LoadCheckpointRequest.newBuilder()
        .setRunId("run-k").setCheckpoint(refs.get(4)).setConfig(pin(3)).build()).getRunId(),
        "the newest still loads");
  }

  @Test
  void greedyDecodingIsDeterministic() {
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("g").setConfig(pin(5)).build());
    SampleRequest greedy = SampleRequest.newBuilder().setRunId("g").setBatchSize(2)
        .setMode(DecodeMode.DECODE_MODE_GREEDY).build();
    SampleResponse a = stub.sample(greedy);
    SampleResponse b = stub.sample(greedy);
    assertEquals(a.getPrompts(0).getPrompt().getTokenIdsList(),
        b.getPrompts(0).getPrompt().getTokenIdsList());
    assertEquals(a.getPrompts(0).getPrompt().getTokenIdsList(),
        a.getPrompts(1).getPrompt().getTokenIdsList());
  }

  @Test
  void computeLossMatchesAHandComputedBellmanError() {
    // SQL v1 (§3) with T = 1: the only step's target is r, so the loss is (Q(s0,a0) − r)².
    QTrajectory t = QTrajectory.newBuilder().setReward(2f).addActions(1)
        .addQ(FloatRow.newBuilder().addValues(0.5f).addValues(1.5f))
        .addTargetQ(FloatRow.newBuilder().addValues(0f).addValues(0f)).build();
    ComputeLossResponse r = stub.computeLoss(ComputeLossRequest.newBuilder()
        .setConfig(PolicyConfig.newBuilder().setPromptLength(1)
            .setSoftQ(SoftQLearningConfig.newBuilder().setLoss(SqlLoss.SQL_LOSS_V1)))
        .addBatch(t).build());
    assertEquals(0.25, r.getLoss(), 1e-6);
    assertEquals(1, r.getPerPromptLossCount());
    // V(s0) = log(e^0.5 + e^1.5)
    assertEquals(Math.log(Math.exp(0.5) + Math.exp(1.5)), r.getValues(0), 1e-5);
  }

  @Test
  void computeLossRefusesNonFiniteQAndIgnoredValuesWithTheirFields() {
    QTrajectory t = QTrajectory.newBuilder().setReward(1f).addActions(0)
        .addQ(FloatRow.newBuilder().addValues(Float.NaN).addValues(0.5f))
        .addTargetQ(FloatRow.newBuilder().addValues(0f).addValues(Float.NEGATIVE_INFINITY))
        .build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.computeLoss(ComputeLossRequest.newBuilder()
            .setConfig(PolicyConfig.newBuilder().setPromptLength(1)
                .setSparseTsallis(SparseTsallisConfig.newBuilder().setLoss(PinLoss.PIN_LOSS_V2)
                    .setLmFilter(dev.pin.v1.LmFilterConfig.newBuilder()
                        .setIgnoredValue(Float.NEGATIVE_INFINITY))))
            .addBatch(t).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    String d = e.getStatus().getDescription();
    assertTrue(d.contains("batch[0].q[0].values[0]") && d.contains("batch[0].target_q[0].values[1]")
        && d.contains("config.sparse_tsallis.lm_filter.ignored_value"), d);
  }

  @Test
  void computeLossOfTheReadmeExample() {
    // policy-service/README.md, "Checking the losses": PIN v1 with F_I (k = 2), T = 2, |V| = 3.
    // (v1 reads no target Q.) y_t = r = 1, so loss = (1 − 1)² + (0.9 − 1)² = 0.01. F_I keeps tokens {0, 1} at s_0 and
    // {1, 2} at s_1: V_sp(s_0) = spmax(1, 0.5) = 1.0625 (τ = 0.25), V_sp(s_1) = spmax(0.9, 0.1)
    // = 0.91 (τ = 0).
    QTrajectory t = QTrajectory.newBuilder().setReward(1f).addActions(0).addActions(1)
        .addQ(FloatRow.newBuilder().addValues(1f).addValues(0.5f).addValues(0f))
        .addQ(FloatRow.newBuilder().addValues(0.2f).addValues(0.9f).addValues(0.1f))
        .addTargetQ(FloatRow.newBuilder().addValues(0f).addValues(0f).addValues(0f))
        .addTargetQ(FloatRow.newBuilder().addValues(0f).addValues(0f).addValues(0f))
        .addLmLogits(FloatRow.newBuilder().addValues(3f).addValues(2f).addValues(1f))
        .addLmLogits(FloatRow.newBuilder().addValues(1f).addValues(3f).addValues(2f))
        .build();
    ComputeLossResponse r = stub.computeLoss(ComputeLossRequest.newBuilder()
        .setConfig(PolicyConfig.newBuilder().setPromptLength(2)
            .setSparseTsallis(SparseTsallisConfig.newBuilder().setLoss(PinLoss.PIN_LOSS_V1)
                .setLmFilter(LmFilterConfig.newBuilder().setTopK(2))))
        .addBatch(t).build());
    assertEquals(0.01, r.getLoss(), 1e-6);
    assertEquals(1.0625, r.getValues(0), 1e-6);
    assertEquals(0.91, r.getValues(1), 1e-6);
  }

  // ---- PEZ (§7.1) ----

  private static PolicyConfig pez(dev.pin.v1.PezConfig.Builder settings) {
    return PolicyConfig.newBuilder().setBackbone(ModelRef.newBuilder().setName("tiny-bert"))
        .setSeed(3).setPez(settings).build();
  }

  private static dev.pin.v1.TaskSpec pezTask(String model) {
    dev.pin.v1.ClassificationTask.Builder c = dev.pin.v1.ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName(model))
        .addVerbalizers("terrible").addVerbalizers("great");
    String[][] train = {{"a great movie", "1"}, {"so boring", "0"}, {"i love this story", "1"},
        {"the worst acting", "0"}};
    for (String[] e : train) {
      c.addTrain(dev.pin.v1.LabeledText.newBuilder().setText(e[0])
          .setLabel(Integer.parseInt(e[1])));
    }
    return dev.pin.v1.TaskSpec.newBuilder().setClassification(c).build();
  }

  /**
   * A PEZ policy over gRPC: §7.1's defaults filled, Sample hands out the projection, Update takes
   * a step through the task model, and a checkpoint restores it into a new policy exactly.
   */
  @Test
  void pezTrainsThroughTheTaskModelAndRestoresFromACheckpoint() {
    PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-p")
        .setConfig(pez(dev.pin.v1.PezConfig.newBuilder().setPromptLength(4)))
        .setTask(pezTask("tiny-bert")).build());
    dev.pin.v1.PezConfig effective = info.getConfig().getPez();
    assertEquals(4, effective.getPromptLength());
    assertEquals(4, info.getConfig().getPromptLength());
    assertEquals(0.3f, effective.getLearningRate(), "§7.1's LM default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertTrue(effective.hasFluencyWeight());
    assertEquals(4L * 32, info.getTrainableParameters(), "P is L × d");
    SampleResponse sampled = stub.sample(SampleRequest.newBuilder().setRunId("run-p")
        .setBatchSize(16).build());
    assertEquals(1, sampled.getPromptsCount(), "PEZ has one prompt");
    assertEquals(4, sampled.getPrompts(0).getPrompt().getTokensCount());
    UpdateResponse updated = stub.update(UpdateRequest.newBuilder().setRunId("run-p")
        .addPrompts(RewardedPrompt.newBuilder()
            .setSampleId(sampled.getPrompts(0).getSampleId())).build());
    assertTrue(updated.getUpdated() && updated.getLoss() > 0 && updated.getGradNorm() > 0);
    assertEquals(1, updated.getStep());

    CheckpointRef ref = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-p")
        .build());
    UpdateResponse next = stub.update(UpdateRequest.newBuilder().setRunId("run-p")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-q").setCheckpoint(ref)
        .setConfig(info.getConfig()).setTask(pezTask("tiny-bert")).build());
    UpdateResponse again = stub.update(UpdateRequest.newBuilder().setRunId("run-q")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    assertEquals(next.getLoss(), again.getLoss(), 0f, "the restored prompt takes the same step");
    assertEquals(2, again.getStep());
  }

  @Test
  void badPezRequestsNameTheirFields() throws Exception {
    TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 3);
    Object[][] cases = {
        {pez(dev.pin.v1.PezConfig.newBuilder().setLearningRate(0)), pezTask("tiny-bert"),
            "config.pez.learning_rate: "},
        {pez(dev.pin.v1.PezConfig.newBuilder().setFluencyWeight(1.5f)), pezTask("tiny-bert"),
            "config.pez.fluency_weight: "},
        {pez(dev.pin.v1.PezConfig.newBuilder().setPromptLength(0)), pezTask("tiny-bert"),
            "config.pez.prompt_length: "},
        {pez(dev.pin.v1.PezConfig.newBuilder()), dev.pin.v1.TaskSpec.getDefaultInstance(),
            "task: PEZ needs the few-shot classification task"},
        {pez(dev.pin.v1.PezConfig.newBuilder()), pezTask("tiny-gpt2"),
            "task.classification.task_model: PEZ differentiates through the task model itself"},
        {pez(dev.pin.v1.PezConfig.newBuilder()).toBuilder()
            .setBackbone(ModelRef.newBuilder().setName("tiny-gpt2")).build(),
            pezTask("tiny-gpt2"), "config.backbone: PEZ (§7.1) needs gradients through the "
                + "task model, and 'tiny-gpt2' is a gpt2-clm"}};
    for (Object[] c : cases) {
      for (boolean validateOnly : new boolean[] {true, false}) {
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
            () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-bad")
                .setValidateOnly(validateOnly).setConfig((PolicyConfig) c[0])
                .setTask((dev.pin.v1.TaskSpec) c[1]).build()));
        assertTrue(e.getStatus().getDescription().startsWith((String) c[2]),
            e.getStatus().getDescription());
      }
    }
    // w in [0, 1] trains: the fluency mix.
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-w")
        .setConfig(pez(dev.pin.v1.PezConfig.newBuilder().setFluencyWeight(0.5f)))
        .setTask(pezTask("tiny-bert")).build());
    assertTrue(stub.update(UpdateRequest.newBuilder().setRunId("run-w")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build()).getLoss() > 0);
  }

  // ---- soft prompts and the faithfulness of a projection (§7.2) ----

  private static PolicyConfig soft(dev.pin.v1.SoftPromptConfig.Builder settings) {
    return PolicyConfig.newBuilder().setBackbone(ModelRef.newBuilder().setName("tiny-bert"))
        .setSeed(3).setSoftPrompt(settings).build();
  }

  private static List<dev.pin.v1.LabeledText> devExamples() {
    List<dev.pin.v1.LabeledText> out = new ArrayList<>();
    String[][] examples = {{"a fine film", "1"}, {"boring and bad", "0"}, {"loved it", "1"}};
    for (String[] e : examples) {
      out.add(dev.pin.v1.LabeledText.newBuilder().setText(e[0])
          .setLabel(Integer.parseInt(e[1])).build());
    }
    return out;
  }

  /**
   * A soft-prompt policy over gRPC: PEZ's LM defaults, a step, and ScoreContinuousPrompt on dev
   * examples (the current prompt, whose projection Sample hands out; then a given one).
   */
  @Test
  void aSoftPromptTrainsAndScoresItsContinuousPromptAndProjection() {
    PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-s")
        .setConfig(soft(dev.pin.v1.SoftPromptConfig.newBuilder().setPromptLength(4)))
        .setTask(pezTask("tiny-bert")).build());
    dev.pin.v1.SoftPromptConfig effective = info.getConfig().getSoftPrompt();
    assertEquals(4, effective.getPromptLength());
    assertEquals(0.3f, effective.getLearningRate(), "PEZ's LM default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertFalse(info.getConfig().hasPez());
    UpdateResponse updated = stub.update(UpdateRequest.newBuilder().setRunId("run-s")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    assertTrue(updated.getUpdated() && updated.getLoss() > 0 && updated.getStep() == 1);
    assertTrue(updated.getTrainAccuracy() >= 0 && updated.getTrainAccuracy() <= 100);

    dev.pin.v1.ScoreContinuousPromptResponse current = stub.scoreContinuousPrompt(
        dev.pin.v1.ScoreContinuousPromptRequest.newBuilder().setRunId("run-s")
            .addAllExamples(devExamples()).build());
    dev.pin.v1.PromptFaithfulness f = current.getFaithfulness();
    assertEquals(dev.pin.v1.Split.SPLIT_DEV, f.getSplit());
    assertEquals(3, f.getExamples());
    assertEquals(4, current.getPrompt().getRows());
    assertEquals(4 * 32, current.getPrompt().getValuesCount());
    assertTrue(f.getAgreement() >= 0 && f.getAgreement() <= 1);
    assertEquals(stub.sample(SampleRequest.newBuilder().setRunId("run-s").setBatchSize(1)
        .build()).getPrompts(0).getPrompt(), current.getProjection(),
        "the projection is the run's readable prompt");
    // The same vectors given back score the same.
    dev.pin.v1.ScoreContinuousPromptResponse given = stub.scoreContinuousPrompt(
        dev.pin.v1.ScoreContinuousPromptRequest.newBuilder().setRunId("run-s")
            .setSplit(dev.pin.v1.Split.SPLIT_TEST).addAllExamples(devExamples())
            .setPrompt(current.getPrompt()).build());
    assertEquals(f.toBuilder().setSplit(dev.pin.v1.Split.SPLIT_TEST).build(),
        given.getFaithfulness());
    assertEquals(1, stub.getPolicy(GetPolicyRequest.newBuilder().setRunId("run-s").build())
        .getStep(), "scoring learns nothing");
  }

  @Test
  void badSoftPromptAndScoringRequestsNameTheirFields() throws Exception {
    TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 3);
    Object[][] cases = {
        {soft(dev.pin.v1.SoftPromptConfig.newBuilder().setLearningRate(0)),
            "config.soft_prompt.learning_rate: "},
        {soft(dev.pin.v1.SoftPromptConfig.newBuilder().setPromptLength(0)),
            "config.soft_prompt.prompt_length: "},
        {soft(dev.pin.v1.SoftPromptConfig.newBuilder().setWeightDecay(-1)),
            "config.soft_prompt.weight_decay: "},
        {soft(dev.pin.v1.SoftPromptConfig.newBuilder()).toBuilder()
            .setBackbone(ModelRef.newBuilder().setName("tiny-gpt2")).build(),
            "config.backbone: a soft prompt (prompt tuning) needs gradients through the task "
                + "model, and 'tiny-gpt2' is a gpt2-clm"}};
    for (Object[] c : cases) {
      StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
          () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-bad")
              .setConfig((PolicyConfig) c[0]).setTask(pezTask("tiny-bert")).build()));
      assertTrue(e.getStatus().getDescription().startsWith((String) c[1]),
          e.getStatus().getDescription());
    }

    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-s")
        .setConfig(soft(dev.pin.v1.SoftPromptConfig.newBuilder().setPromptLength(2)))
        .setTask(pezTask("tiny-bert")).build());
    var request = dev.pin.v1.ScoreContinuousPromptRequest.newBuilder().setRunId("run-s")
        .addAllExamples(devExamples());
    Object[][] scoring = {
        {request.clone().clearExamples(), "examples: "},
        {request.clone().addExamples(dev.pin.v1.LabeledText.newBuilder().setText("ok")
            .setLabel(5)), "examples[3].label: "},
        {request.clone().setPrompt(dev.pin.v1.ContinuousPrompt.newBuilder().setRows(3)
            .setWidth(32).addAllValues(java.util.Collections.nCopies(96, 0.1f))), "prompt: "},
        {request.clone().setPrompt(dev.pin.v1.ContinuousPrompt.newBuilder().setRows(2)
            .setWidth(32).addAllValues(java.util.Collections.nCopies(63, 0.1f))),
            "prompt.values: "},
        {request.clone().setPrompt(dev.pin.v1.ContinuousPrompt.newBuilder().setRows(1)
            .setWidth(2).addValues(Float.NaN).addValues(1)), "prompt.values[0]: "}};
    for (Object[] c : scoring) {
      StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, () -> stub
          .scoreContinuousPrompt(((dev.pin.v1.ScoreContinuousPromptRequest.Builder) c[0])
              .build()));
      assertTrue(e.getStatus().getDescription().startsWith((String) c[1]),
          c[1] + " in " + e.getStatus().getDescription());
    }
    fails(Status.Code.NOT_FOUND, () -> stub.scoreContinuousPrompt(request.clone()
        .setRunId("run-none").build()));
    stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-rl")
        .setConfig(PolicyConfig.newBuilder().setBackbone(ModelRef.newBuilder()
            .setName("tiny-bert")).setMlpHiddenSize(16)
            .setSoftQ(SoftQLearningConfig.getDefaultInstance())).build());
    fails(Status.Code.FAILED_PRECONDITION, () -> stub.scoreContinuousPrompt(request.clone()
        .setRunId("run-rl").build()));
  }

  // ---- PEZ's image inversion through CLIP's text tower (§7.1) ----

  /** A small PNG with a colour gradient from {@code seed}. */
  private static com.google.protobuf.ByteString png(long seed) throws java.io.IOException {
    java.util.Random r = new java.util.Random(seed);
    java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(20, 24,
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    int base = r.nextInt(1 << 24);
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        img.setRGB(x, y, (base + 9 * x + 2048 * y) & 0xffffff);
      }
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(img, "png", out);
    return com.google.protobuf.ByteString.copyFrom(out.toByteArray());
  }

  private static dev.pin.v1.TaskSpec clipTask(String clip, int targets) throws Exception {
    dev.pin.v1.ImageInversionTask.Builder t = dev.pin.v1.ImageInversionTask.newBuilder()
        .setClip(ModelRef.newBuilder().setName(clip));
    for (int i = 0; i < targets; i++) {
      t.addTargets(dev.pin.v1.Image.newBuilder().setData(png(i)).setSource("target-" + i));
    }
    return dev.pin.v1.TaskSpec.newBuilder().setImageInversion(t).build();
  }

  private static PolicyConfig clipPez(dev.pin.v1.PezConfig.Builder settings) {
    return PolicyConfig.newBuilder().setBackbone(ModelRef.newBuilder().setName("tiny-clip"))
        .setTaskType(dev.pin.v1.TaskType.TASK_TYPE_IMAGE_INVERSION).setSeed(5).setPez(settings)
        .build();
  }

  /**
   * PEZ for image inversion over gRPC: §7.1's CLIP defaults (L = 16, lr 0.1, weight decay 0.1),
   * Sample hands out the projection in CLIP's vocabulary, Update takes a step with the loss
   * 1 − mean cos(img, text(P′)), and a checkpoint restores it exactly.
   */
  @Test
  void pezInvertsImagesThroughClipsTextTowerAndRestoresFromACheckpoint() throws Exception {
    TinyModels.clip(home.resolve("models").resolve("tiny-clip"), 5);
    PolicyInfo info = stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-c")
        .setConfig(clipPez(dev.pin.v1.PezConfig.newBuilder())).setTask(clipTask("tiny-clip", 2))
        .build());
    dev.pin.v1.PezConfig effective = info.getConfig().getPez();
    assertEquals(16, effective.getPromptLength(), "§7.1's CLIP default");
    assertEquals(0.1f, effective.getLearningRate(), "§7.1's CLIP default");
    assertEquals(0.1f, effective.getWeightDecay());
    assertEquals(0f, effective.getFluencyWeight());
    assertEquals(16L * 32, info.getTrainableParameters(), "P is L × d");
    SampleResponse sampled = stub.sample(SampleRequest.newBuilder().setRunId("run-c")
        .setBatchSize(32).build());
    assertEquals(1, sampled.getPromptsCount(), "PEZ has one prompt");
    assertEquals(16, sampled.getPrompts(0).getPrompt().getTokenIdsCount());
    assertFalse(sampled.getPrompts(0).getPrompt().getText().contains("<|"), "no specials");
    UpdateResponse updated = stub.update(UpdateRequest.newBuilder().setRunId("run-c")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    assertTrue(updated.getUpdated() && updated.getLoss() > 0 && updated.getLoss() < 2
        && updated.getGradNorm() > 0, updated.toString());

    CheckpointRef ref = stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-c")
        .build());
    UpdateResponse next = stub.update(UpdateRequest.newBuilder().setRunId("run-c")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-d").setCheckpoint(ref)
        .setConfig(info.getConfig()).setTask(clipTask("tiny-clip", 2)).build());
    UpdateResponse again = stub.update(UpdateRequest.newBuilder().setRunId("run-d")
        .addPrompts(RewardedPrompt.newBuilder().setSampleId(1)).build());
    assertEquals(next.getLoss(), again.getLoss(), 0f, "the restored prompt takes the same step");
    assertEquals(2, again.getStep());
    // Its prompts are scored by the reward service, not by ScoreContinuousPrompt.
    StatusRuntimeException e = fails(Status.Code.FAILED_PRECONDITION,
        () -> stub.scoreContinuousPrompt(dev.pin.v1.ScoreContinuousPromptRequest.newBuilder()
            .setRunId("run-c").addAllExamples(devExamples()).build()));
    assertTrue(e.getStatus().getDescription().contains("image inversion"),
        e.getStatus().getDescription());
  }

  @Test
  void badImageInversionPezRequestsNameTheirFields() throws Exception {
    TinyModels.clip(home.resolve("models").resolve("tiny-clip"), 5);
    dev.pin.v1.TaskSpec badImage = clipTask("tiny-clip", 1).toBuilder()
        .setImageInversion(clipTask("tiny-clip", 1).getImageInversion().toBuilder()
            .addTargets(dev.pin.v1.Image.newBuilder().setData(
                com.google.protobuf.ByteString.copyFromUtf8("not an image")))).build();
    Object[][] cases = {
        {clipPez(dev.pin.v1.PezConfig.newBuilder().setFluencyWeight(0.5f)),
            clipTask("tiny-clip", 1), Status.Code.INVALID_ARGUMENT,
            "config.pez.fluency_weight: must be 0 for image inversion"},
        {clipPez(dev.pin.v1.PezConfig.newBuilder().setPromptLength(0)), clipTask("tiny-clip", 1),
            Status.Code.INVALID_ARGUMENT, "config.pez.prompt_length: "},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()).toBuilder().clearPez()
            .setSoftPrompt(dev.pin.v1.SoftPromptConfig.getDefaultInstance()).build(),
            clipTask("tiny-clip", 1), Status.Code.INVALID_ARGUMENT,
            "config.task_type: a soft prompt (prompt tuning) trains few-shot classification "
                + "only"},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()).toBuilder()
            .setBackbone(ModelRef.newBuilder().setName("no-such-clip")).build(),
            clipTask("no-such-clip", 1), Status.Code.FAILED_PRECONDITION,
            "config.backbone: model 'no-such-clip' is not in the model store"},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()).toBuilder()
            .setBackbone(ModelRef.newBuilder().setName("tiny-bert")).build(),
            clipTask("tiny-bert", 1), Status.Code.INVALID_ARGUMENT,
            "config.backbone: PEZ (§7.1) inverts images through a CLIP's text tower, and "
                + "'tiny-bert' is a bert-mlm"},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()), pezTask("tiny-bert"),
            Status.Code.INVALID_ARGUMENT, "task: PEZ's image inversion needs the task"},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()), clipTask("tiny-clip", 0),
            Status.Code.INVALID_ARGUMENT, "task.image_inversion.targets: "},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()), clipTask("other-clip", 1),
            Status.Code.INVALID_ARGUMENT, "task.image_inversion.clip: "},
        {clipPez(dev.pin.v1.PezConfig.newBuilder()), badImage, Status.Code.INVALID_ARGUMENT,
            "task.image_inversion.targets[1].data: "}};
    for (Object[] c : cases) {
      for (boolean validateOnly : new boolean[] {true, false}) {
        StatusRuntimeException e = fails((Status.Code) c[2],
            () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-bad")
                .setValidateOnly(validateOnly).setConfig((PolicyConfig) c[0])
                .setTask((dev.pin.v1.TaskSpec) c[1]).build()));
        assertTrue(e.getStatus().getDescription().startsWith((String) c[3]),
            c[3] + " in " + e.getStatus().getDescription());
      }
    }
  }
}
