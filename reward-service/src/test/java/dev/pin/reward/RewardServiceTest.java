package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.Split;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Reward service over in-process gRPC on a tiny random-weight BERT from the model store. */
class RewardServiceTest {
  private static final List<String> TRAIN = List.of("a great movie", "the best film",
      "a terrible plot", "the worst acting", "really fun", "so boring");
  private static final int[] LABELS = {1, 1, 0, 0, 1, 0};

  @TempDir Path home;
  private ModelDir model;
  private ServiceHost host;
  private ManagedChannel channel;
  private RewardGrpc.RewardBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    model = TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 11);
    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", home.resolve("models").toString(), "reward.metrics-port", "-1",
        "reward.max-batch-size", "4")));
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(new RewardServer(settings, Metrics.newRegistry("reward")),
        Metrics.newRegistry("reward"), List.of(InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
    stub = RewardGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    host.close();
  }

  private static TaskSpec task(String... verbalizers) {
    ClassificationTask.Builder c = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("tiny-bert"))
        .addAllVerbalizers(List.of(verbalizers));
    for (int i = 0; i < TRAIN.size(); i++) {
      LabeledText example = LabeledText.newBuilder().setText(TRAIN.get(i)).setLabel(LABELS[i])
          .build();
      c.addTrain(example).addDev(example).addTest(example);
    }
    return TaskSpec.newBuilder().setClassification(c).build();
  }

  /** §6.1 computed directly on the model: verbalizer softmax, gap, 200/180, mean. */
  private double referenceReward(String prompt) throws Exception {
    MaskedLm lm = MaskedLm.open(model, OrtConfig.defaults());
    int terrible = lm.tokenizer().id("terrible");
    int great = lm.tokenizer().id("great");
    double sum = 0;
    for (int i = 0; i < TRAIN.size(); i++) {
      String text = (TRAIN.get(i) + " " + prompt + " [MASK] .").replaceAll(" +", " ");
      int[] ids = lm.tokenizer().encode(text);
      int mask = 0;
      while (ids[mask] != lm.manifest().specialId("mask")) {
        mask++;
      }
      float[] logits = lm.logitsAt(List.of(ids), new int[] {mask})[0];
      double a = logits[terrible];
      double b = logits[great];
      double m = Math.max(a, b);
      double pa = Math.exp(a - m) / (Math.exp(a - m) + Math.exp(b - m));
      double pCorrect = LABELS[i] == 0 ? pa : 1 - pa;
      double gap = pCorrect - (1 - pCorrect);
      sum += gap * (gap > 0 ? 200 : 180);
    }
    return sum / TRAIN.size();
  }

  @Test
  void registerIsIdempotentAndScoresMatchTheDirectComputation() throws Exception {
    TaskHandle handle = stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(task("terrible", "great")).build());
    assertEquals(handle, stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(task("terrible", "great")).build()), "content-hash handle");
    List<String> prompts = List.of("", "this movie was", "i love it");
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle.getHandle())
        .setIncludeDetails(true);
    prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
    ScoreResponse scores = stub.score(request.build());
    assertEquals(3, scores.getScoresCount());
    for (PromptScore s : scores.getScoresList()) {
      assertEquals(referenceReward(prompts.get(s.getPromptIndex())), s.getReward(), 1e-3);
      assertEquals(TRAIN.size(), s.getClassificationCount());
    }
    ScoreResponse again = stub.score(request.build());
    assertTrue(again.getScores(0).getCached(), "repeated prompts come from the cache");
    assertEquals(scores.getScores(1).getReward(), again.getScores(1).getReward(), 0);

    PromptEvaluation eval = stub.evaluate(EvaluateRequest.newBuilder()
        .setHandle(handle.getHandle()).setSplit(Split.SPLIT_TEST)
        .addPrompts(Prompt.newBuilder().setText("i love it")).build()).getEvaluations(0);
    assertEquals(TRAIN.size(), eval.getExamples());
    assertTrue(eval.getAccuracy() >= 0 && eval.getAccuracy() <= 100);
  }

  @Test
  void scoreStreamSendsEveryPromptOfEveryRequest() throws Exception {
    TaskHandle handle = stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(task("terrible", "great")).build());
    List<PromptScore> received = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ScoreRequest> requests = RewardGrpc.newStub(channel).scoreStream(
        new StreamObserver<>() {
          @Override
          public void onNext(PromptScore value) {
            received.add(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    for (int r = 1; r <= 3; r++) {
      ScoreRequest.Builder b = ScoreRequest.newBuilder().setHandle(handle.getHandle())
          .setRequestId(r).setSkipCache(true);
      for (int p = 0; p < 4; p++) {
        b.addPrompts(Prompt.newBuilder().setText("prompt " + r + " " + p));
      }
      requests.onNext(b.build());
    }
    requests.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    assertEquals(12, received.size());
    List<String> ids = new ArrayList<>();
    received.forEach(s -> ids.add(s.getRequestId() + "/" + s.getPromptIndex()));
    assertEquals(12, ids.stream().distinct().count());
  }

  @Test
  void badTasksAndHandlesGetActionableStatuses() {
    StatusRuntimeException split = assertThrows(StatusRuntimeException.class,
        () -> stub.registerTask(RegisterTaskRequest.newBuilder()
            .setTask(task("terrible", "greatness")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, split.getStatus().getCode());
    assertTrue(split.getStatus().getDescription().contains("greatness"),
        split.getStatus().getDescription());
    TaskSpec missing = task("terrible", "great").toBuilder().setClassification(
        task("terrible", "great").getClassification().toBuilder()
            .setTaskModel(ModelRef.newBuilder().setName("roberta-large"))).build();
    StatusRuntimeException model = assertThrows(StatusRuntimeException.class,
        () -> stub.registerTask(RegisterTaskRequest.newBuilder().setTask(missing).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, model.getStatus().getCode());
    assertTrue(model.getStatus().getDescription().contains("roberta-large"));
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> stub.score(ScoreRequest.newBuilder().setHandle("task-0000")
            .addPrompts(Prompt.newBuilder().setText("x")).build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }
}
