package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ScoreRequest.read_token_ids} through the Reward service's production wiring over
 * in-process gRPC (§6.1, the faithfulness measurement of §7.2): a tiny random BERT (masked) and a
 * tiny random GPT-2 (causal) read prompts as token ids spliced into the template, compared with
 * the same prompts read as text and with §6.1 computed from the models directly on the spliced
 * inputs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokenIdsRewardServiceTest {
  private static final List<String> TRAIN = List.of("a great movie", "the best film",
      "a terrible plot", "so boring");
  private static final int[] LABELS = {1, 1, 0, 0};

  private ModelDir bert;
  private ModelDir gpt2;
  private ModelDir roberta;
  private TextTokenizer bpe;
  private WordPieceTokenizer wordPiece;
  private ServiceHost host;
  private ManagedChannel channel;
  private RewardGrpc.RewardBlockingStub stub;
  private String masked;
  private String causal;
  private String robertaTask;

  @BeforeAll
  void start(@TempDir Path home) throws Exception {
    bert = TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 11);
    gpt2 = TinyModels.gpt2Clm(home.resolve("models").resolve("tiny-gpt2"), 12);
    roberta = TinyModels.robertaMlm(home.resolve("models").resolve("tiny-roberta"), 5);
    wordPiece = bert.tokenizer();
    bpe = roberta.textTokenizer();
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
    masked = register(classification("tiny-bert", "", "terrible", "great"));
    // The causal test's template of CausalRewardServiceTest: the label is the byte after a space.
    causal = register(classification("tiny-gpt2", "{sentence} {prompt} ", "n", "y"));
    robertaTask = register(classification("tiny-roberta", "", "terrible", "great"));
  }

  @AfterAll
  void stop() {
    channel.shutdownNow();
    host.close();
  }

  private static TaskSpec classification(String model, String template, String... verbalizers) {
    ClassificationTask.Builder c = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName(model))
        .setTemplate(template)
        .addAllVerbalizers(List.of(verbalizers));
    for (int i = 0; i < TRAIN.size(); i++) {
      c.addTrain(LabeledText.newBuilder().setText(TRAIN.get(i)).setLabel(LABELS[i]));
    }
    return TaskSpec.newBuilder().setClassification(c).build();
  }

  private String register(TaskSpec task) {
    return stub.registerTask(RegisterTaskRequest.newBuilder().setTask(task).build()).getHandle();
  }

  private static Prompt prompt(String text, int... ids) {
    Prompt.Builder p = Prompt.newBuilder().setText(text);
    Arrays.stream(ids).forEach(p::addTokenIds);
    return p.build();
  }

  private PromptScore score(String handle, Prompt prompt, boolean ids) {
    return stub.score(ScoreRequest.newBuilder().setHandle(handle).addPrompts(prompt)
        .setReadTokenIds(ids).setIncludeDetails(true).build()).getScores(0);
  }

  private int id(String token) {
    int id = wordPiece.id(token);
    assertTrue(id >= 0, token);
    return id;
  }

  /** §6.1 from one example's verbalizer logits: softmax over the two, gap, 200/180. */
  private static double reward(double terrible, double great, int label) {
    double m = Math.max(terrible, great);
    double pTerrible = Math.exp(terrible - m) / (Math.exp(terrible - m) + Math.exp(great - m));
    double pCorrect = label == 0 ? pTerrible : 1 - pTerrible;
    double gap = pCorrect - (1 - pCorrect);
    return gap * (gap > 0 ? 200 : 180);
  }

  /**
   * The BERT reward of prompt ids placed by hand: {@code [CLS] ids(x) promptIds ids("[MASK] .")
   * [SEP]}, the model's logits at the mask, §6.1, the mean over the examples.
   */
  private double maskedReference(int[] promptIds) throws Exception {
    MaskedLm lm = MaskedLm.open(bert, OrtConfig.defaults());
    double sum = 0;
    for (int i = 0; i < TRAIN.size(); i++) {
      int[] input = IntStream.concat(IntStream.concat(IntStream.concat(IntStream.concat(
          IntStream.of(id("[CLS]")), IntStream.of(wordPiece.ids(TRAIN.get(i)))),
          IntStream.of(promptIds)), IntStream.of(wordPiece.ids("[MASK] ."))),
          IntStream.of(id("[SEP]"))).toArray();
      int mask = IntStream.range(0, input.length).filter(t -> input[t] == id("[MASK]"))
          .findFirst().orElseThrow();
      float[] logits = lm.logitsAt(List.of(input), new int[] {mask})[0];
      sum += reward(logits[id("terrible")], logits[id("great")], LABELS[i]);
    }
    return sum / TRAIN.size();
  }

  /**
   * The RoBERTa reward of prompt ids placed by hand: {@code <s> ids(x) promptIds ids(" <mask> .")
   * </s>} (byte-level BPE; {@code <mask>} strips the space before it), §6.1, the mean.
   */
  private double robertaReference(int[] promptIds) throws Exception {
    MaskedLm lm = MaskedLm.open(roberta, OrtConfig.defaults());
    int mask = roberta.manifest().specialId("mask");
    double sum = 0;
    for (int i = 0; i < TRAIN.size(); i++) {
      int[] input = IntStream.concat(IntStream.concat(IntStream.concat(IntStream.concat(
          IntStream.of(bpe.id("<s>")), IntStream.of(bpe.ids(TRAIN.get(i)))),
          IntStream.of(promptIds)), IntStream.of(bpe.ids(" <mask> ."))),
          IntStream.of(bpe.id("</s>"))).toArray();
      int at = IntStream.range(0, input.length).filter(t -> input[t] == mask).findFirst()
          .orElseThrow();
      float[] logits = lm.logitsAt(List.of(input), new int[] {at})[0];
      sum += reward(logits[bpe.id("Ġterrible")], logits[bpe.id("Ġgreat")], LABELS[i]);
    }
    return sum / TRAIN.size();
  }

  private static int[] bytes(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return IntStream.range(0, b.length).map(i -> b[i] & 0xff).toArray();
  }

  /**
   * The GPT-2 reward of prompt ids placed by hand (its vocabulary is the 256 bytes, no merges):
   * {@code bytes(x) promptIds bytes(" ")}, the next-byte logits of 'n' and 'y', §6.1, the mean.
   */
  private double causalReference(int[] promptIds) throws Exception {
    CausalLm lm = CausalLm.open(gpt2, OrtConfig.defaults());
    double sum = 0;
    for (int i = 0; i < TRAIN.size(); i++) {
      int[] input = IntStream.concat(IntStream.concat(IntStream.of(bytes(TRAIN.get(i))),
          IntStream.of(promptIds)), IntStream.of(bytes(" "))).toArray();
      float[] logits = lm.nextTokenLogits(List.of(input))[0];
      sum += reward(logits['n'], logits['y'], LABELS[i]);
    }
    return sum / TRAIN.size();
  }

  @Test
  void aPromptWhoseTextRoundTripsGetsTheSameRewardFromItsIds() {
    Prompt p = prompt("this movie was", wordPiece.ids("this movie was"));
    PromptScore text = score(masked, p, false);
    PromptScore ids = score(masked, p, true);
    assertEquals(text.getReward(), ids.getReward(), 0f, "identical input ids, identical reward");
    assertEquals(text.getPerExampleRewardList(), ids.getPerExampleRewardList());
    assertEquals(text.getClassificationList(), ids.getClassificationList());

    // GPT-2: the ids of " it was" carry the space the template puts before {prompt}.
    Prompt c = prompt("it was", bytes(" it was"));
    assertEquals(score(causal, c, false).getReward(), score(causal, c, true).getReward(), 0f);

    // RoBERTa likewise: " this movie was" is Ġthis Ġmovie Ġwas, as in the rendered text.
    Prompt r = prompt("this movie was", bpe.ids(" this movie was"));
    assertEquals(3, r.getTokenIdsCount());
    PromptScore rText = score(robertaTask, r, false);
    PromptScore rIds = score(robertaTask, r, true);
    assertEquals(rText.getReward(), rIds.getReward(), 0f);
    assertEquals(rText.getClassificationList(), rIds.getClassificationList());
  }

  @Test
  void idsThatDoNotRoundTripAreReadAsGivenNotAsTheirText() throws Exception {
    // "t ##h ##e" decodes to "the", which WordPiece reads back as the one token "the"; a
    // continuation piece at the start ("##s great") has no text that tokenises to it.
    List<int[]> pieces = List.of(new int[] {id("t"), id("##h"), id("##e")},
        new int[] {id("##s"), id("great")});
    List<String> texts = List.of("the", "s great");
    for (int k = 0; k < pieces.size(); k++) {
      Prompt p = prompt(texts.get(k), pieces.get(k));
      float fromIds = score(masked, p, true).getReward();
      float fromText = score(masked, p, false).getReward();
      assertEquals(maskedReference(pieces.get(k)), fromIds, 1e-4, "ids spliced in, prompt " + k);
      assertEquals(maskedReference(wordPiece.ids(texts.get(k))), fromText, 1e-4,
          "the text path reads the re-tokenised text, prompt " + k);
      assertTrue(Math.abs(fromIds - fromText) > 1e-4,
          "ids and text differ: " + fromIds + " vs " + fromText);
    }
    // GPT-2: ids without the leading space make the model read "…movieit was ".
    int[] noSpace = bytes("it was");
    float fromIds = score(causal, prompt("it was", noSpace), true).getReward();
    assertEquals(causalReference(noSpace), fromIds, 1e-4);
    assertNotEquals(score(causal, prompt("it was"), false).getReward(), fromIds);

    // RoBERTa: "this" without its leading space is four byte tokens glued to the sentence.
    int[] glued = bpe.ids("this movie");
    float robertaIds = score(robertaTask, prompt("this movie", glued), true).getReward();
    assertEquals(robertaReference(glued), robertaIds, 1e-4);
    assertEquals(robertaReference(bpe.ids(" this movie")),
        score(robertaTask, prompt("this movie"), false).getReward(), 1e-4, "text path");
    assertTrue(Math.abs(robertaIds
        - score(robertaTask, prompt("this movie"), false).getReward()) > 1e-4);
  }

  @Test
  void theCacheKeepsIdsAndTextApart() {
    // A prompt no other test of this class scores (they share the server and its cache).
    Prompt p = prompt("fun", id("f"), id("##u"), id("##n"));
    ScoreRequest ids = ScoreRequest.newBuilder().setHandle(masked).addPrompts(p)
        .setReadTokenIds(true).build();
    PromptScore first = stub.score(ids).getScores(0);
    PromptScore again = stub.score(ids).getScores(0);
    assertTrue(again.getCached(), "the same ids are served from the cache");
    assertEquals(first.getReward(), again.getReward(), 0f);
    // The text "fun" has not been scored as text: its entry is its own, and so is its reward.
    PromptScore text = stub.score(ScoreRequest.newBuilder().setHandle(masked).addPrompts(p)
        .build()).getScores(0);
    assertFalse(text.getCached(), "text does not hit the ids' entry");
    assertNotEquals(first.getReward(), text.getReward());
  }

  private static StatusRuntimeException fails(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  @Test
  void badIdsAreInvalidArgumentAndOtherTaskTypesAFailedPrecondition() {
    int vocab = TinyModels.vocab().size();
    StatusRuntimeException noIds = fails(() -> stub.score(ScoreRequest.newBuilder()
        .setHandle(masked).addPrompts(prompt("the movie", id("the"), id("movie")))
        .addPrompts(prompt("no ids")).setReadTokenIds(true).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, noIds.getStatus().getCode());
    assertTrue(noIds.getStatus().getDescription().contains("prompts[1].token_ids"),
        noIds.getStatus().getDescription());

    for (int bad : new int[] {vocab, -1}) {
      StatusRuntimeException e = fails(() -> stub.score(ScoreRequest.newBuilder()
          .setHandle(masked).addPrompts(prompt("the x", id("the"), bad))
          .setReadTokenIds(true).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("prompts[0].token_ids[1]")
          && e.getStatus().getDescription().contains(Integer.toString(bad)),
          e.getStatus().getDescription());
    }
    StatusRuntimeException gpt = fails(() -> stub.score(ScoreRequest.newBuilder()
        .setHandle(causal).addPrompts(prompt("x", 257)).setReadTokenIds(true).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, gpt.getStatus().getCode(), "257 ids in GPT-2's");

    StatusRuntimeException mask = fails(() -> stub.score(ScoreRequest.newBuilder()
        .setHandle(masked).addPrompts(prompt("[MASK]", id("[MASK]")))
        .setReadTokenIds(true).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, mask.getStatus().getCode());

    String custom = register(TaskSpec.newBuilder().setCustom(CustomTask.newBuilder()
        .setRewardFunction("keyword").putParams("keywords", "great")).build());
    StatusRuntimeException e = fails(() -> stub.score(ScoreRequest.newBuilder()
        .setHandle(custom).addPrompts(prompt("great", id("great"))).setReadTokenIds(true)
        .build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("read_token_ids")
        && e.getStatus().getDescription().contains("classification"),
        e.getStatus().getDescription());
    // The same custom task still scores text.
    assertEquals(1f, stub.score(ScoreRequest.newBuilder().setHandle(custom)
        .addPrompts(prompt("great")).build()).getScores(0).getReward(), 0f);
  }
}
