package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classification with a causal task LM (§6.1, causal variant) through the Reward service's
 * production wiring over in-process gRPC, on a tiny random GPT-2 from the model store. Its
 * byte-level vocabulary has no merges, so single-token verbalizers are single characters without
 * a leading space: the template ends in a space, and the model predicts the byte after it.
 */
class CausalRewardServiceTest {
  private static final List<String> TRAIN = List.of("a great movie", "the best film",
      "a terrible plot", "so boring");
  private static final int[] LABELS = {1, 1, 0, 0};
  private static final String TEMPLATE = "{sentence} {prompt} ";

  @TempDir Path home;
  private ModelDir model;
  private ServiceHost host;
  private ManagedChannel channel;
  private RewardGrpc.RewardBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    model = TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 12);
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

  private static TaskSpec task(String template, String... verbalizers) {
    ClassificationTask.Builder c = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("tiny-gpt2"))
        .setTemplate(template)
        .addAllVerbalizers(List.of(verbalizers));
    for (int i = 0; i < TRAIN.size(); i++) {
      LabeledText example = LabeledText.newBuilder().setText(TRAIN.get(i)).setLabel(LABELS[i])
          .build();
      c.addTrain(example).addDev(example).addTest(example);
    }
    return TaskSpec.newBuilder().setClassification(c).build();
  }

  private static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xff;
    }
    return out;
  }

  /** §6.1 on the model directly: next-byte logits of 'n' and 'y', softmax, gap, 200/180, mean. */
  private double referenceReward(String prompt) throws Exception {
    CausalLm lm = CausalLm.open(model, OrtConfig.defaults());
    double sum = 0;
    for (int i = 0; i < TRAIN.size(); i++) {
      String text = TRAIN.get(i) + " " + (prompt.isEmpty() ? "" : prompt + " ");
      float[] logits = lm.nextTokenLogits(List.of(bytes(text)))[0];
      double a = logits['n'];
      double b = logits['y'];
      double m = Math.max(a, b);
      double pa = Math.exp(a - m) / (Math.exp(a - m) + Math.exp(b - m));
      double pCorrect = LABELS[i] == 0 ? pa : 1 - pa;
      double gap = pCorrect - (1 - pCorrect);
      sum += gap * (gap > 0 ? 200 : 180);
    }
    return sum / TRAIN.size();
  }

  @Test
  void scoresEqualTheDirectNextTokenComputation() throws Exception {
    TaskHandle handle = stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(task(TEMPLATE, "n", "y")).build());
    List<String> prompts = List.of("", "it was", "review:");
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle.getHandle());
    prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
    ScoreResponse scores = stub.score(request.build());
    assertEquals(3, scores.getScoresCount());
    for (PromptScore s : scores.getScoresList()) {
      assertEquals(referenceReward(prompts.get(s.getPromptIndex())), s.getReward(), 1e-3);
    }
  }

  @Test
  void spacePrefixedVerbalizersAreCheckedWithTheLeadingSpaceConvention() {
    // The default causal template puts a space before the label word: " n" is two byte tokens.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.registerTask(RegisterTaskRequest.newBuilder()
            .setTask(task("", "n", "y")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("Ġ"), e.getStatus().getDescription());
  }
}
