package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.kit.server.ServiceHost;
import dev.pin.kit.testing.Http;
import dev.pin.kit.testing.Reflection;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.ComputeLossRequest;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DecodeMode;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.FloatRow;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Image;
import dev.pin.v1.InterpretabilityRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.PolicySessionRequest;
import dev.pin.v1.PolicySessionResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.QTrajectory;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportRun;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.RewardedPrompt;
import dev.pin.v1.RunSpec;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.UpdateRequest;
import dev.pin.v1.WatchRunRequest;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every RPC of the four services, through the embedded ensemble's production wiring, over the
 * in-process transport and over localhost TCP: invalid input gets INVALID_ARGUMENT naming the
 * field; valid input gets the honest answer of this build.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnsembleServiceTest {
  private EmbeddedEnsemble ensemble;
  private final Map<String, ManagedChannel> channels = new HashMap<>();

  @TempDir static Path home;

  @BeforeAll
  void startEnsemble() throws Exception {
    Map<String, String> settings = new HashMap<>();
    settings.put("orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"));
    // An empty model store: the tests see what a fresh machine sees.
    settings.put("models.home", home.resolve("models").toString());
    settings.put("policy.checkpoint-dir", home.resolve("checkpoints").toString());
    for (String service : EmbeddedEnsemble.SERVICES) {
      settings.put(service + ".port", "0");
      settings.put(service + ".metrics-port", "0");
      settings.put(service + ".host", "127.0.0.1");
    }
    ensemble = EmbeddedEnsemble.create(Config.of(settings),
        "test-" + UUID.randomUUID(), true);
    ensemble.start();
    assertTrue(ensemble.awaitReady(30, TimeUnit.SECONDS), "every service SERVING");
  }

  @AfterAll
  void stopEnsemble() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    ensemble.close();
  }

  private Channel channel(String transport, String service) {
    return channels.computeIfAbsent(transport + "/" + service, key -> transport.equals("tcp")
        ? ManagedChannelBuilder.forAddress("127.0.0.1", ensemble.host(service).port())
            .usePlaintext().build()
        : InProcessChannelBuilder.forName(ensemble.inProcessName(service)).build());
  }

  private static void expect(Status.Code code, String fragment, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    String description = String.valueOf(e.getStatus().getDescription());
    assertTrue(description.contains(fragment),
        "'" + description + "' should mention '" + fragment + "'");
  }

  private static PolicyConfig validPolicy() {
    return PolicyConfig.newBuilder()
        .setBackbone(ModelRef.newBuilder().setName("bert-base-uncased"))
        .setSparseTsallis(SparseTsallisConfig.getDefaultInstance())
        .build();
  }

  private static TaskSpec validTask() {
    return TaskSpec.newBuilder().setClassification(ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
        .addVerbalizers("terrible").addVerbalizers("great")).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "tcp"})
  void everyServiceIsServingAndListedByReflection(String transport) throws Exception {
    for (String service : EmbeddedEnsemble.SERVICES) {
      Channel channel = channel(transport, service);
      List<String> listed = Reflection.listServices(channel);
      String api = "pin.v1." + Character.toUpperCase(service.charAt(0)) + service.substring(1);
      assertTrue(listed.containsAll(List.of(api, "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection")), listed.toString());
      for (String name : List.of("", api)) {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.newBuilder().setService(name).build()).getStatus());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "tcp"})
  void orchestratorRpcs(String transport) {
    OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorGrpc
        .newBlockingStub(channel(transport, "orchestrator"))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    expect(Status.Code.INVALID_ARGUMENT, "spec: is required",
        () -> stub.startRun(StartRunRequest.getDefaultInstance()));
    expect(Status.Code.INVALID_ARGUMENT, "spec.budget.max_steps",
        () -> stub.startRun(StartRunRequest.newBuilder().setSpec(RunSpec.newBuilder()
            .setMethod(Method.METHOD_PIN).setTask(validTask())
            .setBudget(dev.pin.v1.Budget.newBuilder().setMaxSteps(-5))).build()));
    expect(Status.Code.INVALID_ARGUMENT, "spec.task.classification",
        () -> stub.startRun(StartRunRequest.newBuilder().setSpec(RunSpec.newBuilder()
            .setMethod(Method.METHOD_PIN).setTask(validTask())).build()));
    expect(Status.Code.INVALID_ARGUMENT, "run_id: is required",
        () -> stub.watchRun(WatchRunRequest.getDefaultInstance()).hasNext());
    expect(Status.Code.NOT_FOUND, "no run 'run-1'",
        () -> stub.watchRun(WatchRunRequest.newBuilder().setRunId("run-1").build()).hasNext());
    expect(Status.Code.INVALID_ARGUMENT, "run_id",
        () -> stub.getRun(GetRunRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "no run 'run-1'",
        () -> stub.getRun(GetRunRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "page_size: must be between 0 and 1000",
        () -> stub.listRuns(ListRunsRequest.newBuilder().setPageSize(5000).build()));
    expect(Status.Code.INVALID_ARGUMENT, "page_token",
        () -> stub.listRuns(ListRunsRequest.newBuilder().setPageToken("garbage!").build()));
    assertEquals(0, stub.listRuns(ListRunsRequest.getDefaultInstance()).getRunsCount());
    expect(Status.Code.INVALID_ARGUMENT, "run_id",
        () -> stub.cancelRun(CancelRunRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "run-1",
        () -> stub.cancelRun(CancelRunRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "extra_steps",
        () -> stub.resumeRun(ResumeRunRequest.newBuilder().setRunId("r").setExtraSteps(-1)
            .build()));
    expect(Status.Code.NOT_FOUND, "no run 'r'",
        () -> stub.resumeRun(ResumeRunRequest.newBuilder().setRunId("r").build()));
    expect(Status.Code.INVALID_ARGUMENT, "task: set one of",
        () -> stub.evaluatePrompt(EvaluatePromptRequest.getDefaultInstance()));
    expect(Status.Code.INVALID_ARGUMENT, "task.classification.train: must not be empty",
        () -> stub.evaluatePrompt(EvaluatePromptRequest.newBuilder().setTask(validTask())
            .setPromptText("it was").build()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "tcp"})
  void policyRpcs(String transport) throws Exception {
    Channel channel = channel(transport, "policy");
    PolicyGrpc.PolicyBlockingStub stub =
        PolicyGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    expect(Status.Code.INVALID_ARGUMENT, "run_id: is required; config: is required",
        () -> stub.createPolicy(CreatePolicyRequest.getDefaultInstance()));
    expect(Status.Code.INVALID_ARGUMENT, "config.prompt_length: must be between 1 and 64, got 100",
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy().toBuilder().setPromptLength(100)).build()));
    expect(Status.Code.INVALID_ARGUMENT, "config.device",
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy().toBuilder().setDevice("gpu")).build()));
    expect(Status.Code.INVALID_ARGUMENT, "config.algorithm",
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy().toBuilder().clearSparseTsallis()).build()));
    expect(Status.Code.INVALID_ARGUMENT, "run_id: must be 1-128 letters",
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("../etc")
            .setConfig(validPolicy()).build()));
    expect(Status.Code.FAILED_PRECONDITION, "pin models import bert-base-uncased",
        () -> stub.createPolicy(CreatePolicyRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy().toBuilder().clearSparseTsallis()
                .setSoftQ(SoftQLearningConfig.getDefaultInstance())).build()));
    expect(Status.Code.INVALID_ARGUMENT, "run_id",
        () -> stub.dropPolicy(DropPolicyRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "create it with CreatePolicy",
        () -> stub.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "run_id",
        () -> stub.getPolicy(GetPolicyRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "run-1",
        () -> stub.getPolicy(GetPolicyRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "batch_size: must be between 1 and 4096, got 0",
        () -> stub.sample(SampleRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.NOT_FOUND, "run-1",
        () -> stub.sample(SampleRequest.newBuilder().setRunId("run-1").setBatchSize(16)
            .setMode(DecodeMode.DECODE_MODE_GREEDY).build()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0].reward: must be a finite number",
        () -> stub.update(UpdateRequest.newBuilder().setRunId("run-1").addPrompts(
            RewardedPrompt.newBuilder().setSampleId(3).setReward(Float.NaN)).build()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0]: needs a sample_id",
        () -> stub.update(UpdateRequest.newBuilder().setRunId("run-1").addPrompts(
            RewardedPrompt.newBuilder().setReward(1)).build()));
    expect(Status.Code.NOT_FOUND, "run-1",
        () -> stub.update(UpdateRequest.newBuilder().setRunId("run-1").addPrompts(
            RewardedPrompt.newBuilder().setSampleId(1).setReward(1)).build()));
    expect(Status.Code.INVALID_ARGUMENT, "run_id",
        () -> stub.saveCheckpoint(SaveCheckpointRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "run-1",
        () -> stub.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "checkpoint.uri: is required",
        () -> stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy()).build()));
    expect(Status.Code.NOT_FOUND, "does not exist",
        () -> stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy()).setCheckpoint(dev.pin.v1.CheckpointRef.newBuilder()
                .setUri(home.resolve("checkpoints").resolve("run-1").resolve("step-1").toUri()
                    .toString())).build()));
    // Outside policy.checkpoint-dir: refused before anything there is read (issue #17).
    expect(Status.Code.PERMISSION_DENIED, "policy.checkpoint-dir",
        () -> stub.loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("run-1")
            .setConfig(validPolicy()).setCheckpoint(dev.pin.v1.CheckpointRef.newBuilder()
                .setUri("file:///nonexistent/step-1.ckpt")).build()));
    QTrajectory.Builder trajectory = QTrajectory.newBuilder().setReward(1)
        .addQ(FloatRow.newBuilder().addValues(1).addValues(2))
        .addTargetQ(FloatRow.newBuilder().addValues(1).addValues(2)).addActions(1);
    expect(Status.Code.INVALID_ARGUMENT, "batch: must hold at least one trajectory",
        () -> stub.computeLoss(ComputeLossRequest.newBuilder().setConfig(validPolicy()).build()));
    expect(Status.Code.INVALID_ARGUMENT, "batch[0].actions[0]: must be between 0 and 1, got 7",
        () -> stub.computeLoss(ComputeLossRequest.newBuilder().setConfig(validPolicy())
            .addBatch(trajectory.clone().setActions(0, 7)).build()));
    assertTrue(Double.isFinite(stub.computeLoss(ComputeLossRequest.newBuilder()
        .setConfig(validPolicy().toBuilder().setPromptLength(1)).addBatch(trajectory).build())
        .getLoss()));

    // The bidirectional session validates each request and ends the stream with its status.
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<PolicySessionRequest> session = PolicyGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).session(new StreamObserver<>() {
          @Override
          public void onNext(PolicySessionResponse value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        });
    session.onNext(PolicySessionRequest.newBuilder().setRequestId(1)
        .setSample(SampleRequest.newBuilder().setRunId("run-1")).build());
    Throwable t = ended.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(t).getCode());
    assertTrue(Status.fromThrowable(t).getDescription().contains("batch_size"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "tcp"})
  void rewardRpcs(String transport) throws Exception {
    Channel channel = channel(transport, "reward");
    RewardGrpc.RewardBlockingStub stub =
        RewardGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    Prompt prompt = Prompt.newBuilder().setText("absolutely").build();
    expect(Status.Code.INVALID_ARGUMENT, "task: set one of",
        () -> stub.registerTask(RegisterTaskRequest.getDefaultInstance()));
    expect(Status.Code.INVALID_ARGUMENT, "task.classification.train: no inline examples",
        () -> stub.registerTask(RegisterTaskRequest.newBuilder().setTask(validTask()).build()));
    TaskSpec inline = validTask().toBuilder().setClassification(validTask().getClassification()
        .toBuilder().addTrain(dev.pin.v1.LabeledText.newBuilder().setText("fine").setLabel(1))
        .addTrain(dev.pin.v1.LabeledText.newBuilder().setText("awful").setLabel(0))).build();
    expect(Status.Code.FAILED_PRECONDITION, "bert-base-uncased",
        () -> stub.registerTask(RegisterTaskRequest.newBuilder().setTask(inline).build()));
    expect(Status.Code.INVALID_ARGUMENT, "handle: is required",
        () -> stub.describeTask(DescribeTaskRequest.getDefaultInstance()));
    expect(Status.Code.NOT_FOUND, "task-1",
        () -> stub.describeTask(DescribeTaskRequest.newBuilder().setHandle("task-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts: must be between 1 and 4096, got 0",
        () -> stub.score(ScoreRequest.newBuilder().setHandle("task-1").build()));
    expect(Status.Code.INVALID_ARGUMENT, "example_indices[0]",
        () -> stub.score(ScoreRequest.newBuilder().setHandle("task-1").addPrompts(prompt)
            .addExampleIndices(-2).build()));
    expect(Status.Code.NOT_FOUND, "task-1",
        () -> stub.score(ScoreRequest.newBuilder().setHandle("task-1").addPrompts(prompt)
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "handle",
        () -> stub.evaluate(EvaluateRequest.newBuilder().addPrompts(prompt).build()));
    expect(Status.Code.NOT_FOUND, "task-1",
        () -> stub.evaluate(EvaluateRequest.newBuilder().setHandle("task-1").addPrompts(prompt)
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "inputs",
        () -> stub.generate(GenerateRequest.newBuilder().setHandle("task-1").build()));
    expect(Status.Code.NOT_FOUND, "task-1",
        () -> stub.generate(GenerateRequest.newBuilder().setHandle("task-1").addInputs("x")
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "model.name: is required",
        () -> stub.embedText(EmbedTextRequest.newBuilder().addTexts("a cat").build()));
    expect(Status.Code.FAILED_PRECONDITION, "needed as a CLIP model",
        () -> stub.embedText(EmbedTextRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName("clip")).addTexts("a cat").build()));
    expect(Status.Code.INVALID_ARGUMENT, "images[0].data",
        () -> stub.embedImage(EmbedImageRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName("clip")).addImages(Image.getDefaultInstance())
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "not a PNG or JPEG image",
        () -> stub.embedImage(EmbedImageRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName("clip")).addImages(Image.newBuilder()
                .setData(ByteString.copyFromUtf8("png"))).build()));
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(4, 4,
        java.awt.image.BufferedImage.TYPE_INT_RGB), "png", png);
    expect(Status.Code.FAILED_PRECONDITION, "needed as a CLIP model",
        () -> stub.embedImage(EmbedImageRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName("clip")).addImages(Image.newBuilder()
                .setData(ByteString.copyFrom(png.toByteArray()))).build()));

    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<ScoreRequest> stream = RewardGrpc.newStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).scoreStream(new StreamObserver<PromptScore>() {
          @Override
          public void onNext(PromptScore value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        });
    stream.onNext(ScoreRequest.newBuilder().addPrompts(prompt).build());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        Status.fromThrowable(ended.get(10, TimeUnit.SECONDS)).getCode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-process", "tcp"})
  void scorerRpcs(String transport) {
    ScorerGrpc.ScorerBlockingStub stub = ScorerGrpc.newBlockingStub(channel(transport, "scorer"))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    Prompt prompt = Prompt.newBuilder().setText("the movie was").build();
    expect(Status.Code.INVALID_ARGUMENT, "prompts: must be between 1 and 4096, got 0",
        () -> stub.naturalness(NaturalnessRequest.getDefaultInstance()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0]: needs text",
        () -> stub.naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(Prompt.getDefaultInstance()).build()));
    expect(Status.Code.FAILED_PRECONDITION, "pin models import bert-base-uncased",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt).build()));
    expect(Status.Code.INVALID_ARGUMENT, "transfer_task_handle",
        () -> stub.interpretability(InterpretabilityRequest.newBuilder().addPrompts(prompt)
            .setTransferTaskHandle("task-2").build()));
    expect(Status.Code.FAILED_PRECONDITION, "bert-base-uncased",
        () -> stub.interpretability(InterpretabilityRequest.newBuilder().addPrompts(prompt)
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "runs[0].run_id",
        () -> stub.report(ReportRequest.newBuilder().addRuns(ReportRun.getDefaultInstance())
            .build()));
    expect(Status.Code.FAILED_PRECONDITION, "bert-base-uncased",
        () -> stub.report(ReportRequest.newBuilder().addRuns(ReportRun.newBuilder()
            .setRunId("run-1")).build()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"orchestrator", "policy", "reward", "scorer"})
  void metricsEndpointsServeGrpcServerMetrics(String service) throws Exception {
    ServiceHost host = ensemble.host(service);
    var response = Http.get(host.metricsPort(), "/metrics");
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    String text = response.body();
    assertTrue(text.contains("grpc_server_processing_duration_seconds_count{component=\""
        + service + "\""), text);
    assertTrue(text.contains("grpc_server_requests_received_messages_total"), text);
    assertTrue(text.contains("jvm_threads_live_threads{component=\"" + service + "\"}"), text);
  }
}
