package dev.pin.reward.scoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pin.reward.batching.BatcherClosedException;
import dev.pin.reward.batching.BatcherConfig;
import dev.pin.reward.batching.QueueFullException;
import dev.pin.reward.custom.RewardFunctionRegistry;
import dev.pin.reward.task.ModelNotFoundException;
import dev.pin.reward.task.TaskRegistry;
import dev.pin.reward.task.TaskValidationException;
import dev.pin.reward.task.UnknownTaskException;
import dev.pin.reward.testing.CueWordModel;
import dev.pin.reward.testing.MapModelCatalog;
import dev.pin.reward.testing.TinyModels;
import dev.pin.reward.testing.VocabTokenizer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.EmbedImageRequest;
import dev.pin.v1.EmbedResponse;
import dev.pin.v1.EmbedTextRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GenerateRequest;
import dev.pin.v1.GenerateResponse;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.Image;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptScore;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.Split;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RewardEngineTest {

  private final VocabTokenizer tok =
      VocabTokenizer.wordPiece(List.of("terrible", "great", "good", "bad", "film"));
  private final int terrible = tok.tokenToId("terrible").getAsInt();
  private final int great = tok.tokenToId("great").getAsInt();
  private final CueWordModel model =
      new CueWordModel(tok, Map.of("good", great, "bad", terrible), true);
  private final TinyModels.AlternatingGenerator generator = new TinyModels.AlternatingGenerator();
  private final MapModelCatalog catalog =
      new MapModelCatalog()
          .withLanguageModel("tiny-bert", model)
          .withGenerator("alternating", generator)
          .withClassifier("great-detector", TinyModels.greatDetector())
          .withEmbedder("one-hot", TinyModels.oneHotWords())
          .withClip("colour-clip", TinyModels.colourClip())
          .withModel("unloadable-encoder");
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final RewardEngine engine =
      new RewardEngine(
          new TaskRegistry(catalog, RewardFunctionRegistry.discover(), 10),
          catalog,
          new RewardEngineConfig(
              BatcherConfig.defaults("m").withMaxWait(Duration.ofMillis(1)), 1000, 2),
          meters);

  @AfterEach
  void close() {
    engine.close();
  }

  private static LabeledText ex(String text, int label) {
    return LabeledText.newBuilder().setText(text).setLabel(label).build();
  }

  private String registerSst2() {
    return registerSst2(engine);
  }

  private static String registerSst2(RewardEngine engine) {
    return engine
        .tasks()
        .register(
            TaskSpec.newBuilder()
                .setClassification(
                    ClassificationTask.newBuilder()
                        .setTaskModel(ModelRef.newBuilder().setName("tiny-bert"))
                        .addVerbalizers("terrible")
                        .addVerbalizers("great")
                        .addTrain(ex("a good film", 1))
                        .addTrain(ex("a bad film", 0))
                        .addTest(ex("good", 1))
                        .addTest(ex("bad", 0))
                        .addTest(ex("film", 0)))
                .build())
        .handle();
  }

  private static ScoreRequest.Builder request(String handle, String... prompts) {
    ScoreRequest.Builder b = ScoreRequest.newBuilder().setHandle(handle).setRequestId(42);
    for (String p : prompts) {
      b.addPrompts(Prompt.newBuilder().setText(p));
    }
    return b;
  }

  @Test
  void scoresClassificationPromptsAndCachesThem() {
    String handle = registerSst2();
    List<CompletableFuture<PromptScore>> first =
        engine.score(request(handle, "film", "good").setIncludeDetails(true).build());
    PromptScore a = first.get(0).join();
    double gap = (Math.E - 1) / (Math.E + 1);
    assertEquals((float) (200 * gap), a.getReward(), 1e-4f);
    assertEquals(1f, a.getAccuracy());
    assertEquals(42, a.getRequestId());
    assertEquals(0, a.getPromptIndex());
    assertFalse(a.getCached());
    assertEquals(2, a.getPerExampleRewardCount());
    assertEquals(2, a.getClassificationCount());
    assertEquals(1, a.getClassification(0).getPredicted());
    PromptScore b = first.get(1).join();
    assertEquals(1, b.getPromptIndex());
    int calls = model.calls.get();

    PromptScore again = engine.score(request(handle, "film").build()).get(0).join();
    assertTrue(again.getCached());
    assertEquals(a.getReward(), again.getReward());
    assertEquals(0, again.getClassificationCount(), "details only when asked for");
    assertEquals(calls, model.calls.get(), "a cached prompt must not reach the model");

    PromptScore fresh =
        engine.score(request(handle, "film").setSkipCache(true).build()).get(0).join();
    assertFalse(fresh.getCached());
    assertTrue(model.calls.get() > calls);

    PromptScore subset =
        engine.score(request(handle, "film").addExampleIndices(1).build()).get(0).join();
    assertFalse(subset.getCached(), "another example subset is another cache entry");
    assertEquals(1, subset.getPerExampleRewardCount());
  }

  @Test
  void identicalPromptsInOneRequestAreScoredOnce() {
    String handle = registerSst2();
    // skip_cache first (it neither reads nor fills the cache), then with the cache.
    for (boolean skipCache : new boolean[] {true, false}) {
      int before = model.rows.get();
      List<PromptScore> scores =
          engine.score(request(handle, "good", "film", "good", "good").setSkipCache(skipCache)
                  .build())
              .stream()
              .map(CompletableFuture::join)
              .toList();
      // Two distinct prompts × two training examples.
      assertEquals(4, model.rows.get() - before, "skipCache=" + skipCache);
      assertEquals(scores.get(0).getReward(), scores.get(2).getReward());
      assertEquals(scores.get(0).getReward(), scores.get(3).getReward());
      assertEquals(List.of(0, 1, 2, 3), scores.stream().map(PromptScore::getPromptIndex).toList());
      assertFalse(scores.get(0).getCached());
      assertTrue(scores.get(2).getCached(), "a repeated prompt reuses the first one's work");
      assertTrue(scores.get(3).getCached());
    }
  }

  @Test
  void rewardsAreReusedAcrossStepsByHandleAndPrompt() {
    String handle = registerSst2();
    engine.score(request(handle, "good", "film").build()).forEach(CompletableFuture::join);
    int before = model.rows.get();
    // The next step: one prompt seen before, one new; a task registered again (same content)
    // gets the same handle, so its cache entries carry over too.
    String again = registerSst2();
    assertEquals(handle, again);
    List<PromptScore> next =
        engine.score(request(again, "film", "bad").build()).stream()
            .map(CompletableFuture::join).toList();
    assertTrue(next.get(0).getCached());
    assertFalse(next.get(1).getCached());
    assertEquals(2, model.rows.get() - before, "only the new prompt reaches the model");
  }

  @Test
  void evaluatesOnTheTestSplitByDefault() {
    String handle = registerSst2();
    EvaluateResponse r =
        engine
            .evaluate(
                EvaluateRequest.newBuilder()
                    .setHandle(handle)
                    .addPrompts(Prompt.newBuilder().setText("film"))
                    .build())
            .join();
    // test: good -> great (right), bad -> terrible (right), film (label 0) -> tie, and the
    // evaluation's argmax breaks it towards class 0: right. The training notion would say wrong.
    assertEquals(100f, r.getEvaluations(0).getAccuracy(), 1e-4f);
    assertEquals(3, r.getEvaluations(0).getExamples());
  }

  @Test
  void customTasksScoreAllPromptsInOneCall() {
    String handle =
        engine
            .tasks()
            .register(
                TaskSpec.newBuilder()
                    .setCustom(
                        CustomTask.newBuilder()
                            .setRewardFunction("keyword")
                            .putParams("keywords", "great,good"))
                    .build())
            .handle();
    List<CompletableFuture<PromptScore>> f =
        engine.score(request(handle, "great", "good great", "meh").build());
    assertEquals(0.5f, f.get(0).join().getReward());
    assertEquals(1f, f.get(1).join().getReward());
    assertEquals(0f, f.get(2).join().getReward());
    assertTrue(engine.score(request(handle, "great").build()).get(0).join().getCached());
  }

  @Test
  void badRequestsFailAtOnceWithTheirStatus() {
    String handle = registerSst2();
    assertEquals(
        Status.Code.NOT_FOUND,
        RewardStatuses.fromThrowable(
                assertThrows(
                    UnknownTaskException.class,
                    () -> engine.score(request("task-0000000000000000", "x").build())))
            .getCode());
    TaskValidationException e =
        assertThrows(
            TaskValidationException.class,
            () -> engine.score(request(handle).addExampleIndices(9).build()));
    assertTrue(e.getMessage().contains("prompts: "), e.getMessage());
    Status s =
        RewardStatuses.fromThrowable(
            assertThrows(
                TaskValidationException.class,
                () -> engine.score(request(handle, "x").addExampleIndices(9).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertTrue(s.getDescription().startsWith("example_indices[0]: 9 is outside the train split"));
    assertThrows(
        TaskValidationException.class,
        () -> engine.score(request(handle, "x").setSplit(Split.SPLIT_DEV).build()));
  }

  @Test
  void statusMapping() {
    assertEquals(
        Status.Code.RESOURCE_EXHAUSTED,
        RewardStatuses.fromThrowable(new CompletionException(new QueueFullException("m", 1, 2, 2)))
            .getCode());
    assertEquals(
        Status.Code.UNAVAILABLE,
        RewardStatuses.fromThrowable(new BatcherClosedException("closed")).getCode());
    assertEquals(
        Status.Code.FAILED_PRECONDITION,
        RewardStatuses.fromThrowable(new ModelNotFoundException("task.x", "m", "an LM")).getCode());
    assertEquals(
        Status.Code.INTERNAL,
        RewardStatuses.fromThrowable(new NullPointerException("bug")).getCode());
  }

  @Test
  void countsScoredPrompts() {
    String handle = registerSst2();
    engine.score(request(handle, "film").build()).get(0).join();
    engine.score(request(handle, "film").build()).get(0).join();
    assertEquals(
        1.0, meters.get("pin.reward.prompts.scored").tag("cached", "true").counter().count());
    assertEquals(
        1.0, meters.get("pin.reward.prompts.scored").tag("cached", "false").counter().count());
    assertTrue(
        meters.get("pin.reward.batch.size").tag("batcher", "cue-word-model").summary().count()
            >= 1);
  }

  private StyleTransferTask.Builder styleTask() {
    return StyleTransferTask.newBuilder()
        .setGenerator(ModelRef.newBuilder().setName("alternating"))
        .setStyleClassifier(ModelRef.newBuilder().setName("great-detector"))
        .setContentModel(ModelRef.newBuilder().setName("one-hot"))
        .setTargetLabel(1)
        .setGeneration(GenerationConfig.newBuilder().setNumSamples(4).setGroupSize(2))
        .addTrain(StyleExample.newBuilder().setText("the food was bad ."))
        .addTrain(StyleExample.newBuilder().setText("the food was bad ."))
        .addTest(
            StyleExample.newBuilder()
                .setText("the food was bad .")
                .addReferences("the food was great ."));
  }

  @Test
  void scoresAndEvaluatesStyleTransfer() {
    String handle =
        engine
            .tasks()
            .register(TaskSpec.newBuilder().setStyleTransfer(styleTask()).build())
            .handle();
    PromptScore s =
        engine
            .score(
                request(handle, "Make it positive:")
                    .setIncludeDetails(true)
                    .addExampleIndices(1)
                    .build())
            .get(0)
            .join();
    float good = (200f / 3f + 90f) / 2f; // Content 66.67 (word overlap 3/4, 3/5), Style 90
    assertEquals(good, s.getReward(), 1e-3f);
    assertEquals(1, s.getPerExampleRewardCount());
    assertEquals(good, s.getPerExampleReward(0), 1e-3f);
    assertEquals("the food was great!", s.getStyle(0).getBestOutput());
    EvaluateResponse e =
        engine
            .evaluate(
                EvaluateRequest.newBuilder()
                    .setHandle(handle)
                    .addPrompts(Prompt.newBuilder().setText("Make it positive:"))
                    .build())
            .join();
    assertEquals(200f / 3f, e.getEvaluations(0).getContent(), 1e-3f);
    assertEquals(100f, e.getEvaluations(0).getStyle(), 0f);
    assertEquals(200f / 3f, e.getEvaluations(0).getJScore(), 1e-3f);
    assertEquals((float) (100 * Math.pow(0.2, 0.25)), e.getEvaluations(0).getBleu(), 1e-3f);
  }

  @Test
  void aModelOfTheWrongKindIsRejectedAtRegistrationWithFailedPrecondition() {
    // In the store, but not an encoder: the task could never be scored, so it is not registered.
    ModelNotFoundException e =
        assertThrows(
            ModelNotFoundException.class,
            () ->
                engine
                    .tasks()
                    .register(
                        TaskSpec.newBuilder()
                            .setStyleTransfer(
                                styleTask()
                                    .setContentModel(
                                        ModelRef.newBuilder().setName("unloadable-encoder")))
                            .build()));
    assertEquals("task.style_transfer.content_model", e.path());
    assertEquals(Status.Code.FAILED_PRECONDITION, RewardStatuses.fromThrowable(e).getCode());
  }

  @Test
  void scoresImageInversionPromptsInOneBatch() {
    String handle =
        engine
            .tasks()
            .register(
                TaskSpec.newBuilder()
                    .setImageInversion(
                        ImageInversionTask.newBuilder()
                            .setClip(ModelRef.newBuilder().setName("colour-clip"))
                            .addTargets(
                                Image.newBuilder()
                                    .setData(ByteString.copyFrom(TinyModels.png(0xff0000, 9, 7))))
                            .addTargets(
                                Image.newBuilder()
                                    .setData(ByteString.copyFrom(TinyModels.png(0x00ff00, 5, 5)))))
                    .build())
            .handle();
    List<CompletableFuture<PromptScore>> f = engine.score(request(handle, "red", "yellow").build());
    assertEquals(0.5f, f.get(0).join().getReward(), 1e-6f);
    assertEquals((float) (1 / Math.sqrt(2)), f.get(1).join().getReward(), 1e-6f);
    EvaluateResponse e =
        engine
            .evaluate(
                EvaluateRequest.newBuilder()
                    .setHandle(handle)
                    .addPrompts(Prompt.newBuilder().setText("green"))
                    .build())
            .join();
    assertEquals(0.5f, e.getEvaluations(0).getClipScore(), 1e-6f);
    assertThrows(
        TaskValidationException.class,
        () -> engine.score(request(handle, "red").addExampleIndices(0).build()));
  }

  @Test
  void concurrentRunsShareBatchesAndCacheWithoutMixingResults() throws Exception {
    String handle = registerSst2();
    List<String> prompts = List.of("film", "good", "bad", "good good", "bad film", "very");
    // Expected rewards from a fresh engine-free computation: the direct scorer.
    Map<String, Float> expected = new java.util.HashMap<>();
    var task = engine.tasks().require(handle);
    var direct =
        task.classificationScorer(dev.pin.reward.classification.LogitsSource.direct(model));
    for (String p : prompts) {
      expected.put(
          p, direct.score(p, task.labeledExamples(Split.SPLIT_TRAIN, List.of())).join().reward());
    }
    java.util.concurrent.ExecutorService runs =
        java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<Boolean>> checks = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        checks.add(
            CompletableFuture.supplyAsync(
                () -> {
                  java.util.Random random = new java.util.Random(seed);
                  for (int step = 0; step < 40; step++) {
                    String[] batch = new String[4];
                    for (int i = 0; i < 4; i++) {
                      batch[i] = prompts.get(random.nextInt(prompts.size()));
                    }
                    List<CompletableFuture<PromptScore>> f =
                        engine.score(request(handle, batch).setSkipCache(step % 5 == 0).build());
                    for (int i = 0; i < 4; i++) {
                      PromptScore s = f.get(i).join();
                      if (s.getPromptIndex() != i
                          || Math.abs(s.getReward() - expected.get(batch[i])) > 1e-4f) {
                        return false;
                      }
                    }
                  }
                  return true;
                },
                runs));
      }
      for (CompletableFuture<Boolean> c : checks) {
        assertTrue(c.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
    } finally {
      runs.shutdownNow();
    }
    assertTrue(engine.cache().hitRatio() > 0.5, "hit ratio " + engine.cache().hitRatio());
  }

  /**
   * Issue #17: after an orchestrator was killed mid-Score, the resumed run's Score shared the dead
   * caller's in-flight prompts; their items were dropped unscored and the live caller had to get
   * its prompts computed anyway, not wait forever.
   */
  @Test
  void aLiveCallerSharingAnAbandonedCallersPromptsStillGetsThem() throws Exception {
    // Items wait 300 ms for their batch, so the first caller is gone before any is scored.
    RewardEngine slow =
        new RewardEngine(
            new TaskRegistry(catalog, RewardFunctionRegistry.discover(), 10),
            catalog,
            new RewardEngineConfig(
                BatcherConfig.defaults("m").withMaxWait(Duration.ofMillis(300)), 1000, 2),
            meters);
    try {
      String handle = registerSst2(slow);
      for (int round = 0; round < 5; round++) {
        String[] prompts = {"film " + round, "good " + round, "bad " + round};
        io.grpc.Context.CancellableContext dead = io.grpc.Context.current().withCancellation();
        List<CompletableFuture<PromptScore>> abandoned =
            dead.call(() -> slow.score(request(handle, prompts).build()));
        List<CompletableFuture<PromptScore>> live = slow.score(request(handle, prompts).build());
        dead.cancel(null);
        for (int i = 0; i < prompts.length; i++) {
          PromptScore s = live.get(i).get(10, java.util.concurrent.TimeUnit.SECONDS);
          assertEquals(i, s.getPromptIndex());
          assertTrue(Float.isFinite(s.getReward()));
        }
        for (CompletableFuture<PromptScore> f : abandoned) {
          assertTrue(f.isDone(), "the abandoned caller's futures end too");
        }
      }
    } finally {
      slow.close();
    }
  }

  @Test
  void generatesWithOverridesAndTheCutRules() {
    String handle =
        engine
            .tasks()
            .register(TaskSpec.newBuilder().setStyleTransfer(styleTask()).build())
            .handle();
    GenerateResponse r =
        engine
            .generate(
                GenerateRequest.newBuilder()
                    .setHandle(handle)
                    .setPrompt(Prompt.newBuilder().setText("Rewrite:"))
                    .addInputs("the food was bad .")
                    .setGeneration(
                        GenerationConfig.newBuilder().setNumSamples(3).setMaxNewTokens(12))
                    .build())
            .join();
    assertEquals("the food was bad .", r.getResults(0).getInput());
    assertEquals(
        List.of("the food was great!", "the food was bad.", "the food was great!"),
        r.getResults(0).getOutputsList());
    var req = generator.seen.get(generator.seen.size() - 1);
    assertEquals(12, req.maxNewTokens()); // override caps the rule's 15
    assertEquals(3, req.numSamples());
    String classification = registerSst2();
    assertThrows(
        TaskValidationException.class,
        () ->
            engine.generate(
                GenerateRequest.newBuilder().setHandle(classification).addInputs("x").build()));
  }

  @Test
  void embedsTextsAndImagesNormalised() {
    EmbedResponse text =
        engine
            .embedText(
                EmbedTextRequest.newBuilder()
                    .setModel(ModelRef.newBuilder().setName("colour-clip"))
                    .addTexts("yellow")
                    .build())
            .join();
    float h = (float) (1 / Math.sqrt(2));
    assertEquals(List.of(h, h, 0f), text.getEmbeddings(0).getValuesList());
    EmbedResponse img =
        engine
            .embedImage(
                EmbedImageRequest.newBuilder()
                    .setModel(ModelRef.newBuilder().setName("colour-clip"))
                    .addImages(
                        Image.newBuilder()
                            .setData(ByteString.copyFrom(TinyModels.png(0x0000ff, 6, 6))))
                    .build())
            .join();
    assertEquals(List.of(0f, 0f, 1f), img.getEmbeddings(0).getValuesList());
    Map<String, String> errors =
        TaskRegistry.byPath(
            assertThrows(
                TaskValidationException.class,
                () ->
                    engine.embedImage(
                        EmbedImageRequest.newBuilder()
                            .setModel(ModelRef.newBuilder().setName("colour-clip"))
                            .addImages(Image.newBuilder().setData(ByteString.copyFromUtf8("nope")))
                            .build())));
    assertTrue(errors.containsKey("images[0].data"), errors.toString());
    assertThrows(
        ModelNotFoundException.class,
        () ->
            engine.embedText(
                EmbedTextRequest.newBuilder()
                    .setModel(ModelRef.newBuilder().setName("tiny-bert"))
                    .addTexts("x")
                    .build()));
  }
}
