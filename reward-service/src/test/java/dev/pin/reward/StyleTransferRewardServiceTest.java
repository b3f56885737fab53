package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.reward.backend.SequenceClassifier;
import dev.pin.reward.backend.TextGenerator;
import dev.pin.reward.backend.TokenEmbedder;
import dev.pin.reward.ort.OrtModelCatalog;
import dev.pin.reward.style.Bleu;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptEvaluation;
import dev.pin.v1.PromptScore;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.Split;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskSpec;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Style transfer (§6.2) end to end through the Reward service's production wiring over in-process
 * gRPC, on tiny random ORT models from a temp model store: a byte-level GPT-2 (KV-cache graph) as
 * generator, a BERT sequence classifier as style classifier and a BERT masked LM as BERTScore
 * encoder. Every reward and metric is recomputed here from the same ORT components called directly
 * (a second {@link OrtModelCatalog} over the same store): the seed, the token budget, the cut
 * rules, BERTScore-F1, (Content + Style)/2, group maxima and the corpus metrics are written out
 * again from §6.2 rather than taken from the scorer.
 */
class StyleTransferRewardServiceTest {
  private static final String GENERATOR = "tiny-gpt2";
  private static final String STYLE = "tiny-style";
  private static final String CONTENT = "tiny-bert";
  private static final int TARGET = 1;
  private static final int LAYER = 1;
  private static final int SAMPLES = 6;
  private static final int GROUP = 3;
  private static final int MAX_NEW = 12;
  private static final long SEED = 42;
  // Short sentences: the tiny GPT-2 has 64 positions for template + input + new tokens.
  private static final List<StyleExample> TRAIN = List.of(
      StyleExample.newBuilder().setText("it was bad.").build(),
      StyleExample.newBuilder().setText("cold food").build());
  private static final List<StyleExample> TEST = List.of(
      StyleExample.newBuilder().setText("so rude!").addReferences("so kind!").build(),
      StyleExample.newBuilder().setText("the worst").addReferences("the best").build());

  @TempDir Path home;
  private ServiceHost host;
  private ManagedChannel channel;
  private RewardGrpc.RewardBlockingStub stub;
  private OrtModelCatalog direct;

  @BeforeEach
  void start() throws Exception {
    Path models = home.resolve("models");
    TinyModels.gpt2Clm(models.resolve(GENERATOR), 12);
    TinyModels.sequenceClassifier(models.resolve(STYLE), false, List.of("negative", "positive"),
        5);
    TinyModels.bertMlm(models.resolve(CONTENT), 9);
    RewardSettings settings = RewardSettings.read(Config.of(Map.of(
        "models.home", models.toString(), "reward.metrics-port", "-1",
        "reward.max-batch-size", "4")));
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(new RewardServer(settings, Metrics.newRegistry("reward")),
        Metrics.newRegistry("reward"), List.of(InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
    stub = RewardGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    direct = new OrtModelCatalog(new ModelStore(models), OrtConfig.defaults());
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    host.close();
    direct.close();
  }

  private static ModelRef ref(String name) {
    return ModelRef.newBuilder().setName(name).build();
  }

  private static StyleTransferTask.Builder task() {
    return StyleTransferTask.newBuilder()
        .setGenerator(ref(GENERATOR))
        .setStyleClassifier(ref(STYLE))
        .setContentModel(ref(CONTENT))
        .setTargetLabel(TARGET)
        .setContentLayer(LAYER)
        .setGeneration(GenerationConfig.newBuilder().setNumSamples(SAMPLES).setGroupSize(GROUP)
            .setMaxNewTokens(MAX_NEW).setSeed(SEED))
        .addAllTrain(TRAIN)
        .addAllDev(TRAIN)
        .addAllTest(TEST);
  }

  private TaskHandle register(StyleTransferTask.Builder t) {
    return stub.registerTask(RegisterTaskRequest.newBuilder()
        .setTask(TaskSpec.newBuilder().setStyleTransfer(t)).build());
  }

  // ---- the direct computation (§6.2) ----

  /** One sample as computed here. */
  private record Sample(String output, double content, double style, double reward) {}

  /** The per-(prompt, x) seed: FNV-1a over the task seed of {@code prompt NUL x} (the engine's). */
  private static long seed(String prompt, String x) {
    long h = SEED;
    for (byte b : (prompt + "\u0000" + x).getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return h;
  }

  /** §6.2's cut: at the first {@code "}, then after the first . ! or ?; strip; lowercase. */
  private static String cut(String raw) {
    int q = raw.indexOf('"');
    String t = (q >= 0 ? raw.substring(0, q) : raw).strip();
    int end = t.length();
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (c == '.' || c == '!' || c == '?') {
        end = i + 1;
        break;
      }
    }
    return t.substring(0, end).strip().toLowerCase(Locale.ROOT);
  }

  /** Raw continuations of {@code {prompt} "x" "} from the generator, seeded as the engine does. */
  private List<String> rawSamples(String prompt, String x) {
    TextGenerator gen = direct.generator(ref(GENERATOR)).orElseThrow();
    int nx = gen.tokenizer().encode(x).length;
    int budget = Math.min(MAX_NEW, Math.max((int) Math.floor(1.5 * nx), nx + 10));
    String input = (prompt.isEmpty() ? "" : prompt + " ") + "\"" + x + "\" \"";
    return gen.generate(List.of(
        new TextGenerator.Request(input, SAMPLES, budget, 10, 1f, seed(prompt, x)))).get(0);
  }

  /** BERTScore-F1 without idf over non-special tokens at {@link #LAYER}. */
  private double bertScoreF1(String candidate, String reference) {
    TokenEmbedder emb = direct.embedder(ref(CONTENT)).orElseThrow();
    List<TokenEmbedder.Embeddings> e = emb.embed(List.of(candidate, reference), LAYER);
    List<double[]> c = unitNonSpecial(e.get(0));
    List<double[]> r = unitNonSpecial(e.get(1));
    if (c.isEmpty() || r.isEmpty()) {
      return 0;
    }
    double p = 0;
    for (double[] a : c) {
      double best = Double.NEGATIVE_INFINITY;
      for (double[] b : r) {
        best = Math.max(best, dot(a, b));
      }
      p += best / c.size();
    }
    double rec = 0;
    for (double[] b : r) {
      double best = Double.NEGATIVE_INFINITY;
      for (double[] a : c) {
        best = Math.max(best, dot(a, b));
      }
      rec += best / r.size();
    }
    return p + rec == 0 ? 0 : 2 * p * rec / (p + rec);
  }

  private static List<double[]> unitNonSpecial(TokenEmbedder.Embeddings e) {
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < e.vectors().length; i++) {
      if (e.special() != null && e.special()[i]) {
        continue;
      }
      double[] v = new double[e.vectors()[i].length];
      double n = 0;
      for (int d = 0; d < v.length; d++) {
        v[d] = e.vectors()[i][d];
        n += v[d] * v[d];
      }
      n = Math.sqrt(n);
      for (int d = 0; d < v.length; d++) {
        v[d] = n == 0 ? 0 : v[d] / n;
      }
      out.add(v);
    }
    return out;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private List<Sample> samples(String prompt, String x) {
    SequenceClassifier style = direct.classifier(ref(STYLE)).orElseThrow();
    List<Sample> out = new ArrayList<>();
    for (String raw : rawSamples(prompt, x)) {
      String y = cut(raw);
      double content = 100 * Math.max(0, bertScoreF1(y, x));
      double st = 100 * style.probabilities(List.of(y))[0][TARGET];
      out.add(new Sample(y, content, st, (content + st) / 2));
    }
    return out;
  }

  /** Mean of the maxima of consecutive groups of {@link #GROUP} samples. */
  private static double groupMaxMean(List<Sample> s) {
    double sum = 0;
    int groups = 0;
    for (int start = 0; start < s.size(); start += GROUP) {
      double max = Double.NEGATIVE_INFINITY;
      for (int i = start; i < Math.min(s.size(), start + GROUP); i++) {
        max = Math.max(max, s.get(i).reward());
      }
      sum += max;
      groups++;
    }
    return sum / groups;
  }

  private static Sample best(List<Sample> s) {
    Sample best = s.get(0);
    for (Sample x : s) {
      if (x.reward() > best.reward()) {
        best = x;
      }
    }
    return best;
  }

  // ---- tests ----

  @Test
  void scoresEqualTheDirectOrtComputation() {
    TaskHandle handle = register(task());
    List<String> prompts = List.of("", "Make it nice:", "positive");
    ScoreRequest.Builder request = ScoreRequest.newBuilder().setHandle(handle.getHandle())
        .setIncludeDetails(true);
    prompts.forEach(p -> request.addPrompts(Prompt.newBuilder().setText(p)));
    ScoreResponse scores = stub.score(request.build());
    assertEquals(prompts.size(), scores.getScoresCount());
    boolean sawNonEmpty = false;
    for (PromptScore s : scores.getScoresList()) {
      String prompt = prompts.get(s.getPromptIndex());
      assertEquals(TRAIN.size(), s.getPerExampleRewardCount());
      double mean = 0;
      for (int i = 0; i < TRAIN.size(); i++) {
        List<Sample> samples = samples(prompt, TRAIN.get(i).getText());
        assertEquals(SAMPLES, samples.size());
        double r = groupMaxMean(samples);
        assertEquals(r, s.getPerExampleReward(i), 1e-4, prompt + " / " + i);
        Sample b = best(samples);
        assertEquals(b.output(), s.getStyle(i).getBestOutput());
        assertEquals(b.content(), s.getStyle(i).getContent(), 1e-4);
        assertEquals(b.style(), s.getStyle(i).getStyle(), 1e-4);
        sawNonEmpty |= samples.stream().anyMatch(x -> !x.output().isEmpty());
        mean += r / TRAIN.size();
      }
      assertEquals(mean, s.getReward(), 1e-4, prompt);
    }
    assertTrue(sawNonEmpty, "every sample was cut to nothing; the test would not test content");
    // The same prompt on another seed's samples differs: the seed reaches the generator.
    TaskHandle other = register(task().setGeneration(
        task().getGeneration().toBuilder().setSeed(SEED + 1)));
    PromptScore reseeded = stub.score(ScoreRequest.newBuilder().setHandle(other.getHandle())
        .addPrompts(Prompt.newBuilder().setText(prompts.get(1))).build()).getScores(0);
    assertFalse(reseeded.getReward() == scores.getScores(1).getReward(),
        "a different task seed gave the same reward");
  }

  @Test
  void generateReturnsTheCutSamplesOfTheScoredSeed() {
    TaskHandle handle = register(task());
    String prompt = "Make it nice:";
    GenerateResponse g = stub.generate(GenerateRequest.newBuilder().setHandle(handle.getHandle())
        .setPrompt(Prompt.newBuilder().setText(prompt)).addInputs(TRAIN.get(0).getText())
        .build());
    List<String> expected = rawSamples(prompt, TRAIN.get(0).getText()).stream()
        .map(StyleTransferRewardServiceTest::cut).toList();
    assertEquals(expected, g.getResults(0).getOutputsList());
  }

  @Test
  void evaluateReportsContentStyleJGmAndBleuOnTheTestSplit() {
    TaskHandle handle = register(task());
    List<String> prompts = List.of("Make it nice:", "");
    EvaluateRequest.Builder req = EvaluateRequest.newBuilder().setHandle(handle.getHandle())
        .setSplit(Split.SPLIT_TEST);
    prompts.forEach(p -> req.addPrompts(Prompt.newBuilder().setText(p)));
    EvaluateResponse resp = stub.evaluate(req.build());
    assertEquals(prompts.size(), resp.getEvaluationsCount());
    SequenceClassifier style = direct.classifier(ref(STYLE)).orElseThrow();
    for (int k = 0; k < prompts.size(); k++) {
      PromptEvaluation e = resp.getEvaluations(k);
      assertEquals(prompts.get(k), e.getPrompt().getText());
      double content = 0;
      double styleCorrect = 0;
      double j = 0;
      List<String> hyps = new ArrayList<>();
      List<List<String>> refs = new ArrayList<>();
      for (StyleExample x : TEST) {
        // Evaluation keeps the best-reward sample per sentence (RLPrompt's selection).
        Sample b = best(samples(prompts.get(k), x.getText()));
        float[] p = style.probabilities(List.of(b.output()))[0];
        boolean correct = p[TARGET] > p[1 - TARGET];
        content += b.content() / TEST.size();
        styleCorrect += (correct ? 100.0 : 0.0) / TEST.size();
        j += (correct ? b.content() : 0) / TEST.size();
        hyps.add(b.output());
        refs.add(x.getReferencesList());
      }
      assertEquals(TEST.size(), e.getExamples());
      assertEquals(content, e.getContent(), 1e-4);
      assertEquals(styleCorrect, e.getStyle(), 1e-4);
      assertEquals(j, e.getJScore(), 1e-4);
      // No fluency classifier: GM over Content and Style, Fluency left unset.
      assertEquals(Math.sqrt(content * styleCorrect), e.getGeometricMean(), 1e-4);
      assertEquals(0f, e.getFluency());
      assertEquals(Bleu.corpus(hyps, refs).score(), e.getBleu(), 1e-4);
    }
  }

  @Test
  void aClassifierThatIsNotOneIsRejectedNamingTheField() {
    // tiny-bert is a masked LM: present in the store, but no sequence classifier.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> register(task().setStyleClassifier(ref(CONTENT))));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("task.style_transfer.style_classifier"),
        e.getStatus().getDescription());
  }

  @Test
  void aGeneratorThatIsNotCausalIsRejectedNamingTheField() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> register(task().setGenerator(ref(CONTENT))));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("task.style_transfer.generator"),
        e.getStatus().getDescription());
  }

  @Test
  void aMissingOrOutOfRangeTargetLabelIsRejectedNamingTheField() {
    StatusRuntimeException negative = assertThrows(StatusRuntimeException.class,
        () -> register(task().setTargetLabel(-1)));
    assertEquals(Status.Code.INVALID_ARGUMENT, negative.getStatus().getCode());
    assertTrue(negative.getStatus().getDescription().contains("task.style_transfer.target_label"),
        negative.getStatus().getDescription());
    // The classifier has 2 labels: label 2 does not exist.
    StatusRuntimeException range = assertThrows(StatusRuntimeException.class,
        () -> register(task().setTargetLabel(2)));
    assertTrue(range.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
        || range.getStatus().getCode() == Status.Code.FAILED_PRECONDITION, range.getStatus()
        .toString());
    assertTrue(range.getStatus().getDescription().contains("task.style_transfer.target_label"),
        range.getStatus().getDescription());
  }

  @Test
  void aMissingContentModelIsRejectedNamingTheField() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> register(task().clearContentModel()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("task.style_transfer.content_model"),
        e.getStatus().getDescription());
  }
}
