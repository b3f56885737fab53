package dev.pin.scorer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.testing.TinyModels;
import dev.pin.scorer.naturalness.CausalLmNaturalness;
import dev.pin.scorer.naturalness.Convention;
import dev.pin.scorer.naturalness.MaskedLmNaturalness;
import dev.pin.scorer.naturalness.NaturalnessResult;
import dev.pin.scorer.naturalness.OrtCausalScoringLm;
import dev.pin.scorer.naturalness.OrtMaskedScoringLm;
import dev.pin.scorer.naturalness.PriorTopK;
import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.InterpretabilityRequest;
import dev.pin.v1.InterpretabilityResponse;
import dev.pin.v1.Method;
import dev.pin.v1.ModelPrecision;
import dev.pin.v1.ModelRef;
import dev.pin.v1.NaturalnessConvention;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptInterpretability;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRequest;
import dev.pin.v1.ReportResponse;
import dev.pin.v1.ReportRun;
import dev.pin.v1.ScorerGrpc;
import dev.pin.v1.TokenPlausibility;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Scorer over in-process gRPC through the production wiring ({@link ScorerServer} inside
 * {@link ServiceHost}), on a model store holding the tiny random BERT.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScorerServiceTest {
  private static final String TINY = "tiny-bert-mlm";
  private static final String GPT2 = "tiny-gpt2-clm";
  private static final String OPT = "tiny-opt-clm";

  private Path store;
  private Path wordList;
  private final List<ServiceHost> hosts = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private ServiceHost host;
  private PrometheusMeterRegistry registry;
  private ScorerGrpc.ScorerBlockingStub stub;
  private MaskedLmNaturalness reference;

  @BeforeAll
  void setUp(@TempDir Path dir) throws Exception {
    store = dir.resolve("models");
    TinyModels.bertMlm(store.resolve(TINY), 11);
    TinyModels.gpt2Clm(store.resolve(GPT2), 3);
    TinyModels.optClm(store.resolve(OPT), 3, TinyModels.OPT_CONFIG);
    wordList = dir.resolve("words.txt");
    Files.write(wordList, List.of("the", "movie", "was", "great", "terrible", "paris"),
        StandardCharsets.UTF_8);
    reference = new MaskedLmNaturalness(new OrtMaskedScoringLm(MaskedLm.open(
        TinyModels.bertMlm(dir.resolve("reference").resolve(TINY), 11), OrtConfig.cpu(1))), 64);
    registry = Metrics.newRegistry("scorer");
    host = start(Map.of(), registry);
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS), "SERVING after loading " + TINY);
    stub = stub(host);
  }

  private ServiceHost start(Map<String, String> overrides, PrometheusMeterRegistry metrics)
      throws Exception {
    Map<String, String> settings = new HashMap<>(Map.of(
        "scorer.port", "0",
        "scorer.metrics-port", "-1",
        "scorer.host", "127.0.0.1",
        "scorer.model", TINY,
        "scorer.load-on-start", "true",
        "scorer.word-list", wordList.toString(),
        "scorer.max-batch-sequences", "16",
        "scorer.intra-op-threads", "1",
        "models.home", store.toString(),
        // No Reward service listens here: faithfulness requests must fail, not hang.
        "scorer.reward.address", "in-process:" + InProcessServerBuilder.generateName()));
    settings.putAll(overrides);
    return startWith(settings, metrics);
  }

  private ServiceHost startWith(Map<String, String> settings, PrometheusMeterRegistry metrics)
      throws Exception {
    return startServer(new ScorerServer(ScorerSettings.read(Config.of(settings)), metrics),
        metrics);
  }

  private ServiceHost startServer(ScorerServer server, PrometheusMeterRegistry metrics)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServiceHost h = new ServiceHost(server, metrics,
        List.of(InProcessServerBuilder.forName(name).directExecutor()));
    hosts.add(h);
    h.start();
    channels.add(InProcessChannelBuilder.forName(name).directExecutor().build());
    return h;
  }

  private ScorerGrpc.ScorerBlockingStub stub(ServiceHost h) {
    return ScorerGrpc.newBlockingStub(channels.get(hosts.indexOf(h)))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  void tearDown() {
    channels.forEach(ManagedChannel::shutdownNow);
    hosts.forEach(ServiceHost::close);
  }

  private static Prompt prompt(String text) {
    return Prompt.newBuilder().setText(text).build();
  }

  private static void expect(Status.Code code, String fragment, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(fragment),
        "'" + fragment + "' in: " + e.getStatus().getDescription());
  }

  @Test
  void naturalnessReturnsPseudoPerplexityAndPriorPlausibility() throws Exception {
    List<String> texts = List.of("the movie was great", "Terrible, terrible plot!", "paris");
    NaturalnessRequest.Builder request = NaturalnessRequest.newBuilder();
    texts.forEach(t -> request.addPrompts(prompt(t)));
    NaturalnessResponse response = stub.naturalness(request.build());
    List<int[]> ids = texts.stream().map(reference::tokenize).toList();
    int k = PriorTopK.defaultFor(TinyModels.vocab().size());
    List<NaturalnessResult> expected = reference.score(ids, k);
    assertEquals(texts.size(), response.getResultsCount());
    for (int i = 0; i < texts.size(); i++) {
      PromptNaturalness r = response.getResults(i);
      NaturalnessResult e = expected.get(i);
      assertEquals(texts.get(i), r.getPrompt().getText());
      assertEquals(TINY, r.getModel().getName());
      assertEquals(ModelPrecision.MODEL_PRECISION_FP32, r.getModel().getPrecision());
      assertEquals(NaturalnessConvention.NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL,
          r.getConvention());
      assertEquals(ids.get(i).length, r.getNumTokens());
      assertEquals(e.pseudoLogLikelihood(), r.getLogLikelihood(), 1e-4);
      assertEquals(Math.exp(-r.getLogLikelihood() / r.getNumTokens()), r.getPerplexity(),
          1e-9 * r.getPerplexity());
      assertEquals(r.getNumTokens(), r.getTokensCount());
      for (int t = 0; t < r.getTokensCount(); t++) {
        TokenPlausibility p = r.getTokens(t);
        assertEquals(ids.get(i)[t], p.getTokenId());
        assertEquals(TinyModels.vocab().get(p.getTokenId()), p.getToken());
        assertEquals(e.prior().get(t).rank(), p.getRank());
        assertEquals(e.prior().get(t).logProb(), p.getLogProb(), 1e-4);
        assertEquals(p.getRank() <= k, p.getInPriorTopK());
        assertTrue(p.getLogProb() < 0);
      }
    }
    assertArrayEquals(new String[] {"terrible", ",", "terrible", "plot", "!"},
        response.getResults(1).getTokensList().stream().map(TokenPlausibility::getToken)
            .toArray(String[]::new), "re-tokenised by the model's uncased tokenizer");

    // prior_top_k = 1: only rank-1 tokens are inside.
    PromptNaturalness top1 = stub.naturalness(NaturalnessRequest.newBuilder()
        .addPrompts(prompt("the movie was great")).setPriorTopK(1).build()).getResults(0);
    for (TokenPlausibility p : top1.getTokensList()) {
      assertEquals(p.getRank() == 1, p.getInPriorTopK());
    }

    String scrape = registry.scrape();
    assertTrue(scrape.contains("pin_eval_naturalness_count{component=\"scorer\","
        + "convention=\"masked_pseudo_ppl\",model=\"" + TINY + "\"}"), scrape);
    assertTrue(scrape.contains("pin_eval_prompts_scored_total{component=\"scorer\",model=\""
        + TINY + "\",rpc=\"Naturalness\"}"), scrape);
    assertTrue(scrape.contains("pin_eval_scoring_duration_seconds_count"), scrape);
  }

  @Test
  void causalModelsScorePerplexityWithTheirConvention(@TempDir Path dir) throws Exception {
    try (OrtCausalScoringLm lm = new OrtCausalScoringLm(CausalLm.open(
        TinyModels.gpt2Clm(dir.resolve(GPT2), 3), OrtConfig.cpu(1)))) {
      CausalLmNaturalness causal = new CausalLmNaturalness(lm, 64);
      List<String> texts = List.of("the movie was great", "hi");
      for (Convention c : List.of(Convention.CAUSAL_PPL_BOS, Convention.CAUSAL_PPL_NO_BOS)) {
        NaturalnessRequest.Builder request = NaturalnessRequest.newBuilder()
            .setModel(ModelRef.newBuilder().setName(GPT2));
        texts.forEach(t -> request.addPrompts(prompt(t)));
        if (c == Convention.CAUSAL_PPL_NO_BOS) {
          request.setConvention(NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_NO_BOS);
        }
        NaturalnessResponse response = stub.naturalness(request.build());
        List<NaturalnessResult> expected = causal.score(
            texts.stream().map(causal::tokenize).toList(), c, PriorTopK.defaultFor(257));
        for (int i = 0; i < texts.size(); i++) {
          PromptNaturalness r = response.getResults(i);
          assertEquals(c == Convention.CAUSAL_PPL_BOS
              ? NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_BOS
              : NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_NO_BOS,
              r.getConvention(), "the BOS convention is recorded (unset means BOS)");
          assertEquals(GPT2, r.getModel().getName());
          assertEquals(expected.get(i).perplexity(), r.getPerplexity(),
              1e-6 * r.getPerplexity());
          assertEquals(expected.get(i).prior().size(), r.getTokensCount());
          assertEquals(texts.get(i).length(), r.getNumTokens(), "bytes");
        }
      }
    }
    try (OrtCausalScoringLm lm = new OrtCausalScoringLm(CausalLm.open(TinyModels.optClm(
        dir.resolve(OPT), 3, TinyModels.OPT_CONFIG), OrtConfig.cpu(1)))) {
      CausalLmNaturalness causal = new CausalLmNaturalness(lm, 64);
      PromptNaturalness r = stub.naturalness(NaturalnessRequest.newBuilder()
          .setModel(ModelRef.newBuilder().setName(OPT)).addPrompts(prompt("the movie")).build())
          .getResults(0);
      assertEquals(NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_BOS, r.getConvention());
      assertEquals(OPT, r.getModel().getName());
      assertEquals(causal.score(List.of(causal.tokenize("the movie")), Convention.CAUSAL_PPL_BOS,
          PriorTopK.defaultFor(260)).get(0).perplexity(), r.getPerplexity(),
          1e-6 * r.getPerplexity(), "OPT scored with its own BOS </s>");
    }
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0].text: is 1 token",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("x"))
            .setModel(ModelRef.newBuilder().setName(GPT2))
            .setConvention(NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_NO_BOS)
            .build()));
    expect(Status.Code.INVALID_ARGUMENT, "special token <|endoftext|>",
        () -> stub.naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt("hi <|endoftext|>"))
            .setModel(ModelRef.newBuilder().setName(GPT2)).build()));
    assertTrue(registry.scrape().contains("convention=\"causal_ppl_bos\",model=\"" + GPT2),
        "metrics carry the convention");
  }

  @Test
  void invalidNaturalnessRequestsNameEveryBadField() {
    expect(Status.Code.INVALID_ARGUMENT, "prompts: must be between 1 and 4096, got 0",
        () -> stub.naturalness(NaturalnessRequest.getDefaultInstance()));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt("fine")).addPrompts(prompt("   "))
            .setConventionValue(42).setPriorTopK(-1)
            .setModel(ModelRef.newBuilder().setName("../etc")).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    for (String field : List.of("prompts[1]: needs text", "convention:", "prior_top_k:",
        "model.name:")) {
      assertTrue(e.getStatus().getDescription().contains(field), e.getStatus().getDescription());
    }
    expect(Status.Code.INVALID_ARGUMENT, "prompts[0].text: holds the special token [MASK]",
        () -> stub.naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt("the [MASK] was great")).build()));
    expect(Status.Code.INVALID_ARGUMENT, "prompts[1].text: has no tokens",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .addPrompts(prompt("\u200b\u200b")).build()));
    expect(Status.Code.INVALID_ARGUMENT, "at most 62 fit",
        () -> stub.naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt("great ".repeat(63))).build()));
  }

  @Test
  void missingModelsAndUnsupportedConventionsAreFailedPrecondition() {
    expect(Status.Code.FAILED_PRECONDITION, "pin models import bert-large-uncased",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setModel(ModelRef.newBuilder().setName("bert-large-uncased")).build()));
    expect(Status.Code.FAILED_PRECONDITION, "pin models list",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setModel(ModelRef.newBuilder().setName("bert-large-uncased")).build()));
    expect(Status.Code.FAILED_PRECONDITION, "is a masked LM",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setConvention(NaturalnessConvention.NATURALNESS_CONVENTION_CAUSAL_PPL_BOS).build()));
    expect(Status.Code.FAILED_PRECONDITION, "is a causal LM",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setModel(ModelRef.newBuilder().setName(GPT2))
            .setConvention(NaturalnessConvention.NATURALNESS_CONVENTION_MASKED_PSEUDO_PPL)
            .build()));
    expect(Status.Code.FAILED_PRECONDITION, "--int8",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setModel(ModelRef.newBuilder().setPrecision(ModelPrecision.MODEL_PRECISION_INT8))
            .build()));
    expect(Status.Code.FAILED_PRECONDITION, "bf16",
        () -> stub.naturalness(NaturalnessRequest.newBuilder().addPrompts(prompt("great"))
            .setModel(ModelRef.newBuilder().setPrecision(ModelPrecision.MODEL_PRECISION_BF16))
            .build()));
  }

  @Test
  void interpretabilityProxies() {
    InterpretabilityResponse response = stub.interpretability(InterpretabilityRequest.newBuilder()
        .addPrompts(prompt("great great great great great"))
        .addPrompts(prompt("the movies was terrible"))
        .build());
    PromptInterpretability repeated = response.getResults(0);
    assertEquals(0.8f, repeated.getRepetition(), 1e-6);
    assertEquals(1.0f, repeated.getDictionaryWordShare(), 1e-6);
    assertEquals(5, repeated.getNaturalness().getNumTokens());
    assertTrue(Float.isNaN(repeated.getRoundTripAgreement()), "faithfulness skipped");
    assertTrue(Float.isNaN(repeated.getGainTransfer()), "gain transfer skipped");

    PromptInterpretability mixed = response.getResults(1);
    // Tiny vocabulary: "movies" = movie ##s; whole words: the, was, terrible → 3 of 5 tokens.
    assertEquals(5, mixed.getNaturalness().getNumTokens());
    assertEquals(0.6f, mixed.getDictionaryWordShare(), 1e-6);
    assertEquals(0f, mixed.getRepetition());
    long inTopK = mixed.getNaturalness().getTokensList().stream()
        .filter(TokenPlausibility::getInPriorTopK).count();
    assertEquals(inTopK / 5f, mixed.getPriorTopKShare(), 1e-6);
    assertTrue(registry.scrape().contains("pin_eval_repetition_count"));
  }

  @Test
  void faithfulnessWithoutAReachableRewardServiceIsUnavailable() {
    expect(Status.Code.INVALID_ARGUMENT, "transfer_task_handle: needs task_handle",
        () -> stub.interpretability(InterpretabilityRequest.newBuilder().addPrompts(prompt("a"))
            .setTransferTaskHandle("task-2").build()));
    expect(Status.Code.UNAVAILABLE, "Reward/DescribeTask",
        () -> stub.interpretability(InterpretabilityRequest.newBuilder().addPrompts(prompt("a"))
            .setTaskHandle("task-1").build()));
  }

  @Test
  void reportRendersTablesAndCurves() throws Exception {
    Curve.Builder reward = Curve.newBuilder().setName("reward/mean");
    for (int s = 0; s < 20; s++) {
      reward.addPoints(CurvePoint.newBuilder().setStep(s * 100L).setValue(Math.log1p(s)));
    }
    ReportResponse r = stub.report(ReportRequest.newBuilder().setTitle("tiny report")
        .addRuns(ReportRun.newBuilder().setRunId("run-1").setName("PIN")
            .setMethod(Method.METHOD_PIN)
            .addPrompts(ReportPrompt.newBuilder().setLabel("PIN best")
                .setPrompt(prompt("great great great great great"))
                .putScores("test_accuracy", 84.2))
            .addPrompts(ReportPrompt.newBuilder().setLabel("manual")
                .setPrompt(prompt("the movie was")).putScores("test_accuracy", 80.9))
            .addCurves(reward))
        .addRuns(ReportRun.newBuilder().setRunId("run-2").setMethod(Method.METHOD_RLPROMPT)
            .addPrompts(ReportPrompt.newBuilder().setLabel("RLPrompt best")
                .setPrompt(prompt("paris paris movie")).putScores("test_accuracy", 85.0)))
        .build());
    String md = r.getMarkdown();
    assertTrue(md.contains("| PIN best | great great great great great | 84.2 |"), md);
    assertTrue(md.contains("| 1.00 |") && md.contains("| 0.80 |"), md);
    assertTrue(md.contains("| manual | the movie was | 80.9 |"), md);
    assertTrue(md.contains("| RLPrompt best | paris paris movie | 85 |"), md);
    assertTrue(md.contains("](curves-run-1.png)"), md);
    assertTrue(r.getHtml().contains("<img src=\"curves-run-1.png\""));
    assertEquals(1, r.getAssetsCount());
    assertEquals("curves-run-1.png", r.getAssets(0).getName());
    assertTrue(ImageIO.read(new ByteArrayInputStream(r.getAssets(0).getData().toByteArray()))
        .getWidth() > 0);

    expect(Status.Code.INVALID_ARGUMENT, "runs: must hold at least one run",
        () -> stub.report(ReportRequest.getDefaultInstance()));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.report(ReportRequest.newBuilder().addRuns(ReportRun.newBuilder()
            .addPrompts(ReportPrompt.newBuilder().setLabel("x"))
            .addCurves(Curve.getDefaultInstance())).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    for (String field : List.of("runs[0].run_id: is required", "runs[0].curves[0].name",
        "runs[0].prompts[0].prompt.text")) {
      assertTrue(e.getStatus().getDescription().contains(field), e.getStatus().getDescription());
    }
  }

  @Test
  void healthStaysNotServingWhenTheConfiguredModelIsMissing() throws Exception {
    ServiceHost missing = start(Map.of("scorer.model", "bert-base-nowhere"),
        Metrics.newRegistry("scorer"));
    assertFalse(missing.awaitReady(30, TimeUnit.SECONDS));
    assertTrue(missing.warmUpFailure().getMessage().contains("pin models import bert-base-nowhere"),
        missing.warmUpFailure().getMessage());
    ServingStatus status = HealthGrpc.newBlockingStub(channels.get(hosts.indexOf(missing)))
        .check(HealthCheckRequest.newBuilder().setService("pin.v1.Scorer").build()).getStatus();
    assertEquals(ServingStatus.NOT_SERVING, status);
    assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channels.get(0))
        .check(HealthCheckRequest.newBuilder().setService("pin.v1.Scorer").build()).getStatus());
  }

  @Test
  void requestsAboveTheCostLimitAreResourceExhausted() throws Exception {
    // "the movie was great": T = 4 costs (2·4 − 1)(4 + 2) = 42 encoder positions.
    ServiceHost small = start(Map.of("scorer.max-request-positions", "100"),
        Metrics.newRegistry("scorer"));
    assertTrue(small.awaitReady(30, TimeUnit.SECONDS));
    Prompt p = prompt("the movie was great");
    assertEquals(2, stub(small).naturalness(NaturalnessRequest.newBuilder().addPrompts(p)
        .addPrompts(p).build()).getResultsCount());
    expect(Status.Code.RESOURCE_EXHAUSTED, "costs 126 token positions",
        () -> stub(small).naturalness(NaturalnessRequest.newBuilder().addPrompts(p).addPrompts(p)
            .addPrompts(p).build()));
  }

  @Test
  void aMissingWordListIsFailedPrecondition() throws Exception {
    ServiceHost noWords = start(Map.of("scorer.load-on-start", "false",
        "scorer.word-list", store.resolve("no-such-words").toString()),
        Metrics.newRegistry("scorer"));
    assertTrue(noWords.awaitReady(30, TimeUnit.SECONDS), "lazy loading: SERVING at once");
    expect(Status.Code.FAILED_PRECONDITION, "unset it to use the word list bundled",
        () -> stub(noWords).interpretability(InterpretabilityRequest.newBuilder()
            .addPrompts(prompt("great")).build()));
    // Naturalness needs no word list, and loads the model on first use.
    assertEquals(1, stub(noWords).naturalness(NaturalnessRequest.newBuilder()
        .addPrompts(prompt("great")).build()).getResultsCount());
  }

  @Test
  void withoutScorerWordListTheBundledListScoresAndTheReportSaysSo() throws Exception {
    Map<String, String> settings = new HashMap<>(Map.of(
        "scorer.port", "0", "scorer.metrics-port", "-1", "scorer.host", "127.0.0.1",
        "scorer.model", TINY, "scorer.load-on-start", "true", "scorer.intra-op-threads", "1",
        "models.home", store.toString(),
        "scorer.reward.address", "in-process:" + InProcessServerBuilder.generateName()));
    ServiceHost bundled = startWith(settings, Metrics.newRegistry("scorer"));
    assertTrue(bundled.awaitReady(30, TimeUnit.SECONDS), "the bundled list loads on start");
    // No scorer.word-list and no /usr/share/dict needed: the, was, terrible are whole words of
    // the bundled list (movies = movie ##s is not a whole word) → 3 of 5.
    PromptInterpretability mixed = stub(bundled).interpretability(InterpretabilityRequest
        .newBuilder().addPrompts(prompt("the movies was terrible")).build()).getResults(0);
    assertEquals(0.6f, mixed.getDictionaryWordShare(), 1e-6);
    String md = stub(bundled).report(ReportRequest.newBuilder().addRuns(ReportRun.newBuilder()
        .setRunId("run-1").addPrompts(ReportPrompt.newBuilder().setLabel("best")
            .setPrompt(prompt("zzz paris")))).build()).getMarkdown();
    assertTrue(md.contains("dictionary share against `bundled english-words.txt (WordNet 3.1)`"),
        md);
  }

  private Map<String, String> withoutLoadOnStart(String model) {
    return new HashMap<>(Map.of(
        "scorer.port", "0", "scorer.metrics-port", "-1", "scorer.host", "127.0.0.1",
        "scorer.model", model, "scorer.word-list", wordList.toString(),
        "scorer.intra-op-threads", "1", "models.home", store.toString(),
        "scorer.reward.address", "in-process:" + InProcessServerBuilder.generateName()));
  }

  @Test
  void byDefaultTheDefaultModelIsLoadedBeforeHealthTurnsServing() throws Exception {
    PrometheusMeterRegistry metrics = Metrics.newRegistry("scorer");
    ScorerServer server = new ScorerServer(ScorerSettings.read(Config.of(
        withoutLoadOnStart(TINY))), metrics);
    assertFalse(server.defaultModelLoaded());
    ServiceHost host = startServer(server, metrics);
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    // SERVING means loaded: the first call does not pay for loading the model.
    assertTrue(server.defaultModelLoaded(), "loaded before SERVING");
  }

  @Test
  void byDefaultAMissingDefaultModelDoesNotKeepTheScorerFromServing() throws Exception {
    PrometheusMeterRegistry metrics = Metrics.newRegistry("scorer");
    ScorerServer server = new ScorerServer(ScorerSettings.read(Config.of(
        withoutLoadOnStart("bert-base-nowhere"))), metrics);
    ServiceHost host = startServer(server, metrics);
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS), "SERVING: other models still work");
    assertFalse(server.defaultModelLoaded());
    expect(Status.Code.FAILED_PRECONDITION, "pin models import bert-base-nowhere",
        () -> stub(host).naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(prompt("great")).build()));
  }
}

