package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.RealModels;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The classification reward on real SST-2 sentences with the real BERT-base (slower; skipped unless
 * the model is imported, which CI does first): the service's rewards equal §6.1 computed directly
 * on the model, and the manual prompt "it was" classifies better than chance.
 */
class BertBaseSst2RewardTest {
  /** Tests run in the module folder; ../shared sits beside the repository root. */
  private static final Path SST2 = Path.of("../../shared/data/few-shot/sst-2/16-42/train.tsv");

  private static List<LabeledText> sentences() throws Exception {
    List<String> lines = Files.readAllLines(SST2);
    List<LabeledText> out = new ArrayList<>();
    // Eight of each class, unquoted lines only (the test needs no CSV parser).
    int[] perClass = new int[2];
    for (String line : lines.subList(1, lines.size())) {
      int tab = line.lastIndexOf('\t');
      if (tab < 0 || line.startsWith("\"")) {
        continue;
      }
      int label = Integer.parseInt(line.substring(tab + 1).trim());
      if (perClass[label] < 8) {
        perClass[label]++;
        out.add(LabeledText.newBuilder().setText(line.substring(0, tab)).setLabel(label).build());
      }
    }
    return out;
  }

  @Test
  void rewardsMatchTheDirectComputationOnRealSst2Sentences() throws Exception {
    ModelDir bert = RealModels.assumeBertBase();
    assumeTrue(Files.isRegularFile(SST2), "../shared/data is not beside the checkout");
    List<LabeledText> examples = sentences();
    // §6.1 in float32, as the direct computation does: the int8 path that reward.precision=auto
    // picks on VNNI CPUs is checked against float32 by Int8VariantTest and RewardBenchmark.
    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", bert.dir().getParent().toString(), "reward.metrics-port", "-1",
        "reward.precision", "fp32")));
    String name = InProcessServerBuilder.generateName();
    ServiceHost host = new ServiceHost(new RewardServer(settings, Metrics.newRegistry("reward")),
        Metrics.newRegistry("reward"), List.of(InProcessServerBuilder.forName(name)));
    host.start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
    try {
      assertTrue(host.awaitReady(60, TimeUnit.SECONDS));
      RewardGrpc.RewardBlockingStub stub =
          RewardGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.SECONDS);
      String handle = stub.registerTask(RegisterTaskRequest.newBuilder().setTask(TaskSpec
          .newBuilder().setClassification(ClassificationTask.newBuilder()
              .setTaskModel(ModelRef.newBuilder().setName("bert-base-uncased"))
              .addVerbalizers("terrible").addVerbalizers("great").addAllTrain(examples)
              .addAllTest(examples))).build()).getHandle();
      List<String> prompts = List.of("", "it was");
      ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle);
      prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
      List<PromptScore> scores = stub.score(request.build()).getScoresList();

      MaskedLm lm = MaskedLm.open(bert, OrtConfig.defaults());
      int terrible = lm.tokenizer().id("terrible");
      int great = lm.tokenizer().id("great");
      for (PromptScore s : scores) {
        double sum = 0;
        for (LabeledText x : examples) {
          String text = (x.getText() + " " + prompts.get(s.getPromptIndex()) + " [MASK] .")
              .replaceAll(" +", " ").trim();
          int[] ids = lm.tokenizer().encode(text);
          int mask = 0;
          while (ids[mask] != lm.manifest().specialId("mask")) {
            mask++;
          }
          float[] logits = lm.logitsAt(List.of(ids), new int[] {mask})[0];
          double m = Math.max(logits[terrible], logits[great]);
          double p0 = Math.exp(logits[terrible] - m)
              / (Math.exp(logits[terrible] - m) + Math.exp(logits[great] - m));
          double gap = 2 * (x.getLabel() == 0 ? p0 : 1 - p0) - 1;
          sum += gap * (gap > 0 ? 200 : 180);
        }
        assertEquals(sum / examples.size(), s.getReward(), 1e-2, prompts.get(s.getPromptIndex()));
      }
      float manual = stub.evaluate(EvaluateRequest.newBuilder().setHandle(handle)
          .setSplit(Split.SPLIT_TEST).addPrompts(Prompt.newBuilder().setText("it was")).build())
          .getEvaluations(0).getAccuracy();
      assertTrue(manual > 50, "\"it was\" should beat chance on SST-2, got " + manual + "%");
    } finally {
      channel.shutdownNow();
      host.close();
    }
  }
}
