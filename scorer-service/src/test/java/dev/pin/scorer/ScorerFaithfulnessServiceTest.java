package dev.pin.scorer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.reward.RewardServer;
import dev.pin.reward.RewardSettings;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.InterpretabilityRequest;
import dev.pin.v1.InterpretabilityResponse;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptInterpretability;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ReportRun;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faithfulness through the Interpretability RPC with the real Reward service as its gRPC peer
 * (both in-process, production constructors), on two tiny random BERTs as the two task models.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScorerFaithfulnessServiceTest {
  private static final List<String> TRAIN = List.of("a great movie", "the best film",
      "a terrible plot", "the worst acting", "really fun", "so boring");
  private static final int[] LABELS = {1, 1, 0, 0, 1, 0};

  private final List<ServiceHost> hosts = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private RewardGrpc.RewardBlockingStub reward;
  private ScorerGrpc.ScorerBlockingStub scorer;
  private WordPieceTokenizer tokenizer;
  private String task;
  private String transfer;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("models");
    tokenizer = TinyModels.bertMlm(store.resolve("tiny-bert"), 11).tokenizer();
    TinyModels.bertMlm(store.resolve("tiny-bert-b"), 12);
    // A policy backbone of another vocabulary (bytes), as a GPT-2 policy with a BERT task model.
    TinyModels.gpt2Clm(store.resolve("tiny-gpt2"), 13);
    Path words = dir.resolve("words.txt");
    Files.write(words, List.of("the", "movie", "was", "great"), StandardCharsets.UTF_8);
    String rewardName = InProcessServerBuilder.generateName();
    ServiceHost rewardHost = new ServiceHost(new RewardServer(RewardSettings.read(Config.of(Map.of(
        "models.home", store.toString(), "reward.metrics-port", "-1"))),
        Metrics.newRegistry("reward")), Metrics.newRegistry("reward"),
        List.of(InProcessServerBuilder.forName(rewardName)));
    String scorerName = InProcessServerBuilder.generateName();
    ServiceHost scorerHost = new ServiceHost(new ScorerServer(ScorerSettings.read(Config.of(Map.of(
        "models.home", store.toString(), "scorer.metrics-port", "-1", "scorer.port", "0",
        "scorer.model", "tiny-bert", "scorer.word-list", words.toString(),
        "scorer.intra-op-threads", "1", "scorer.reward.address", "in-process:" + rewardName))),
        Metrics.newRegistry("scorer")), Metrics.newRegistry("scorer"),
        List.of(InProcessServerBuilder.forName(scorerName)));
    for (ServiceHost h : List.of(rewardHost, scorerHost)) {
      hosts.add(h);
      h.start();
      assertTrue(h.awaitReady(30, TimeUnit.SECONDS));
    }
    ManagedChannel r = InProcessChannelBuilder.forName(rewardName).build();
    ManagedChannel s = InProcessChannelBuilder.forName(scorerName).build();
    channels.addAll(List.of(r, s));
    reward = RewardGrpc.newBlockingStub(r).withDeadlineAfter(60, TimeUnit.SECONDS);
    scorer = ScorerGrpc.newBlockingStub(s).withDeadlineAfter(60, TimeUnit.SECONDS);
    task = register("tiny-bert");
    transfer = register("tiny-bert-b");
  }

  @AfterAll
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    for (int i = hosts.size() - 1; i >= 0; i--) {
      hosts.get(i).close();
    }
  }

  private String register(String model) {
    ClassificationTask.Builder c = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName(model))
        .addAllVerbalizers(List.of("terrible", "great"));
    for (int i = 0; i < TRAIN.size(); i++) {
      LabeledText e = LabeledText.newBuilder().setText(TRAIN.get(i)).setLabel(LABELS[i]).build();
      c.addTrain(e).addDev(e);
    }
    return reward.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(TaskSpec.newBuilder().setClassification(c)).build()).getHandle();
  }

  private static Prompt prompt(String text, int... ids) {
    Prompt.Builder p = Prompt.newBuilder().setText(text);
    Arrays.stream(ids).forEach(p::addTokenIds);
    return p.build();
  }

  /** The task reward of each text on a split, straight from the Reward service. */
  private double[] rewards(String handle, Split split, String... texts) {
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle).setSplit(split);
    for (String t : texts) {
      request.addPrompts(Prompt.newBuilder().setText(t));
    }
    double[] out = new double[texts.length];
    for (PromptScore s : reward.score(request.build()).getScoresList()) {
      out[s.getPromptIndex()] = s.getReward();
    }
    return out;
  }

  private int id(String token) {
    return tokenizer.id(token);
  }

  @Test
  void roundTripAndGainsComeFromTheTaskModelAndTheRewardService() {
    List<Prompt> prompts = List.of(
        prompt("the movie was", tokenizer.ids("the movie was")),
        // The policy spelled "the" as three pieces; the task tokenizer reads one token.
        prompt("the", id("t"), id("##h"), id("##e")),
        prompt("great fun"));
    for (Split split : List.of(Split.SPLIT_TRAIN, Split.SPLIT_DEV)) {
      InterpretabilityResponse response = scorer.interpretability(InterpretabilityRequest
          .newBuilder().addAllPrompts(prompts).setTaskHandle(task).setTransferTaskHandle(transfer)
          .setSplit(split).build());
      List<PromptInterpretability> r = response.getResultsList();
      assertEquals(1f, r.get(0).getRoundTripAgreement());
      assertEquals(0f, r.get(1).getRoundTripAgreement());
      assertTrue(Float.isNaN(r.get(2).getRoundTripAgreement()), "no ids, no round trip");
      assertEquals(0.5f, response.getRoundTripShare(), 1e-6, "1 of the 2 prompts with ids");

      double[] one = rewards(task, split, "the movie was", "the", "great fun", "");
      double[] two = rewards(transfer, split, "the movie was", "the", "great fun", "");
      for (int i = 0; i < 3; i++) {
        double gain = one[i] - one[3];
        double gain2 = two[i] - two[3];
        assertEquals(gain, r.get(i).getTaskGain(), 1e-5, "R(z) − R(∅) on the task, prompt " + i);
        assertEquals(gain2, r.get(i).getTransferGain(), 1e-5, "the same on the second model");
        assertEquals(gain2 / gain, r.get(i).getGainTransfer(),
            1e-4 * Math.abs(gain2 / gain), "gain₂ / gain₁");
      }
      assertTrue(Math.abs(one[0] - two[0]) > 1e-6, "the two task models differ");
    }
    // Without a transfer task only the first gain is measured.
    PromptInterpretability alone = scorer.interpretability(InterpretabilityRequest.newBuilder()
        .addPrompts(prompts.get(0)).setTaskHandle(task).build()).getResults(0);
    assertTrue(Float.isFinite(alone.getTaskGain()));
    assertTrue(Float.isNaN(alone.getTransferGain()));
    assertTrue(Float.isNaN(alone.getGainTransfer()));
  }

  /** The task reward of each prompt's token ids read in place of its text (read_token_ids). */
  private double[] idsRewards(String handle, Split split, Prompt... prompts) {
    double[] out = new double[prompts.length];
    for (PromptScore s : reward.score(ScoreRequest.newBuilder().setHandle(handle).setSplit(split)
        .addAllPrompts(List.of(prompts)).setReadTokenIds(true).build()).getScoresList()) {
      out[s.getPromptIndex()] = s.getReward();
    }
    return out;
  }

  private static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int[] out = new int[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i] & 0xff;
    }
    return out;
  }

  @Test
  void textVsIdsGapIsZeroForARoundTripAndMeasuredOtherwise() {
    Prompt roundTrips = prompt("the movie was", tokenizer.ids("the movie was"));
    Prompt pieces = prompt("the", id("t"), id("##h"), id("##e"));
    // The task model itself, and another store entry with the same vocabulary: names differ,
    // tokens under every id do not, so the ids are read.
    for (String policy : List.of("tiny-bert", "tiny-bert-b")) {
      InterpretabilityResponse response = scorer.interpretability(InterpretabilityRequest
          .newBuilder().addAllPrompts(List.of(roundTrips, pieces, prompt("great fun")))
          .setTaskHandle(task).setPolicyModel(ModelRef.newBuilder().setName(policy)).build());
      assertTrue(response.getSharedVocabulary(), policy);
      List<PromptInterpretability> r = response.getResultsList();
      double[] text = rewards(task, Split.SPLIT_TRAIN, "the movie was", "the");
      double[] ids = idsRewards(task, Split.SPLIT_TRAIN, roundTrips, pieces);
      assertEquals(1f, r.get(0).getRoundTripAgreement());
      assertEquals(0f, r.get(0).getTextVsIdsRewardGap(), 0f, "same input ids, same reward");
      assertEquals(text[0], r.get(0).getTokenIdsReward(), 1e-6);
      assertEquals(0f, r.get(1).getRoundTripAgreement());
      assertEquals(ids[1], r.get(1).getTokenIdsReward(), 1e-6, "R(t ##h ##e) from the Reward");
      assertEquals(text[1] - ids[1], r.get(1).getTextVsIdsRewardGap(), 1e-5);
      assertTrue(Math.abs(r.get(1).getTextVsIdsRewardGap()) > 1e-3,
          "the pieces drive the model otherwise than \"the\": " + r.get(1));
      assertTrue(Float.isNaN(r.get(2).getTokenIdsReward()), "no ids");
      assertTrue(Float.isNaN(r.get(2).getTextVsIdsRewardGap()), "no ids");
    }
  }

  @Test
  void aPolicyOfAnotherVocabularyRoundTripsUnderItsOwnTokenizerAndHasNoGap() {
    // The byte-level policy's ids of "the movie" are its bytes; under the task model's WordPiece
    // they would name other tokens altogether.
    Prompt bytePrompt = prompt("the movie", bytes("the movie"));
    Prompt wordPiecePrompt = prompt("the movie", tokenizer.ids("the movie"));
    InterpretabilityResponse response = scorer.interpretability(InterpretabilityRequest
        .newBuilder().addPrompts(bytePrompt).addPrompts(wordPiecePrompt).setTaskHandle(task)
        .setPolicyModel(ModelRef.newBuilder().setName("tiny-gpt2")).build());
    assertFalse(response.getSharedVocabulary());
    List<PromptInterpretability> r = response.getResultsList();
    assertEquals(1f, r.get(0).getRoundTripAgreement(), "bytes round-trip under the policy's BPE");
    assertEquals(0f, r.get(1).getRoundTripAgreement(), "WordPiece ids do not");
    for (PromptInterpretability p : r) {
      assertTrue(Float.isNaN(p.getTokenIdsReward()), "ids of another vocabulary are not read");
      assertTrue(Float.isNaN(p.getTextVsIdsRewardGap()));
      assertTrue(Float.isFinite(p.getTaskGain()), "the text is still scored");
    }
    // The same ids under the default policy model (the task model) are WordPiece's.
    InterpretabilityResponse byDefault = scorer.interpretability(InterpretabilityRequest
        .newBuilder().addPrompts(wordPiecePrompt).setTaskHandle(task).build());
    assertEquals(1f, byDefault.getResults(0).getRoundTripAgreement());
    assertTrue(byDefault.getSharedVocabulary());

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> scorer.interpretability(InterpretabilityRequest.newBuilder()
            .addPrompts(bytePrompt).setTaskHandle(task)
            .setPolicyModel(ModelRef.newBuilder().setName("no-such-model")).build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no-such-model"),
        e.getStatus().getDescription());
  }

  @Test
  void reportRowsShowRoundTripAndTheGapNextToIt() {
    Prompt roundTrips = prompt("the movie was", tokenizer.ids("the movie was"));
    Prompt pieces = prompt("the", id("t"), id("##h"), id("##e"));
    ReportResponse report = scorer.report(ReportRequest.newBuilder()
        .addRuns(ReportRun.newBuilder().setRunId("run-1").setTaskHandle(task)
            .setPolicyModel(ModelRef.newBuilder().setName("tiny-bert"))
            .addPrompts(ReportPrompt.newBuilder().setLabel("a").setPrompt(roundTrips))
            .addPrompts(ReportPrompt.newBuilder().setLabel("b").setPrompt(pieces)))
        .build());
    List<PromptInterpretability> r = scorer.interpretability(InterpretabilityRequest.newBuilder()
        .addPrompts(roundTrips).addPrompts(pieces).setTaskHandle(task).build()).getResultsList();
    String md = report.getMarkdown();
    assertTrue(md.contains("| round trip | R(text) − R(ids) |"), md);
    assertTrue(md.contains(" | 1 | 0 |\n"), "round trip 1, gap 0: " + md);
    double gap = r.get(1).getTextVsIdsRewardGap();
    String formatted = new java.math.BigDecimal(Float.toString((float) gap))
        .round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    assertTrue(md.contains(" | 0 | " + formatted + " |\n"), formatted + " in " + md);

    // A run whose task the Reward service no longer holds still gets its report, saying why the
    // faithfulness columns are empty; any other Reward failure fails the call.
    String stale = scorer.report(ReportRequest.newBuilder()
        .addRuns(ReportRun.newBuilder().setRunId("run-2").setTaskHandle("task-0000")
            .addPrompts(ReportPrompt.newBuilder().setLabel("a").setPrompt(roundTrips)))
        .build()).getMarkdown();
    assertTrue(stale.contains("not measured: Reward/DescribeTask"), stale);
    assertTrue(stale.contains(" | – | – |\n"), stale);
  }

  @Test
  void anUnknownHandleIsNotFoundFromTheRewardService() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> scorer.interpretability(InterpretabilityRequest.newBuilder()
            .addPrompts(prompt("the movie")).setTaskHandle("task-0000").build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("Reward/DescribeTask"),
        e.getStatus().getDescription());
  }

  @Test
  void gainTransferIsTheRatioOfGainsAndUndefinedWithoutAGain() {
    assertEquals(0.5, ScorerService.gainTransfer(0.2, 0.1), 1e-12);
    assertEquals(-1.0, ScorerService.gainTransfer(0.2, -0.2), 1e-12);
    assertTrue(Double.isNaN(ScorerService.gainTransfer(0, 0.1)));
    assertTrue(Double.isNaN(ScorerService.gainTransfer(0.1, Double.NaN)));
    assertEquals(0.5, ScorerService.mean(new double[] {1, Double.NaN, 0}), 1e-12);
    assertTrue(Double.isNaN(ScorerService.mean(new double[] {Double.NaN})));
  }
}
