package dev.pin.reward.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.pin.reward.classification.ClassificationReward;
import dev.pin.reward.classification.LogitsSource;
import dev.pin.reward.custom.RewardFunctionRegistry;
import dev.pin.reward.testing.CueWordModel;
import dev.pin.reward.testing.MapModelCatalog;
import dev.pin.reward.testing.TinyModels;
import dev.pin.reward.testing.VocabTokenizer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.FewShotData;
import dev.pin.v1.Image;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import dev.pin.v1.Split;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskInfo;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.TaskType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class TaskRegistryTest {

  private final VocabTokenizer bertTok =
      VocabTokenizer.wordPiece(List.of("terrible", "great", "good", "bad", "film", "##ness"));
  private final VocabTokenizer gptTok =
      VocabTokenizer.bpe(List.of("terrible", "great", "Ġterrible", "Ġgreat"));
  private final CueWordModel bert =
      new CueWordModel(
          bertTok,
          Map.of(
              "good",
              bertTok.tokenToId("great").getAsInt(),
              "bad",
              bertTok.tokenToId("terrible").getAsInt()),
          true);
  private final CueWordModel gpt = new CueWordModel(gptTok, Map.of(), false);
  private final MapModelCatalog catalog =
      new MapModelCatalog()
          .withLanguageModel("tiny-bert", bert)
          .withLanguageModel("tiny-gpt", gpt)
          .withModel("tiny-clip")
          .withGenerator("tiny-gpt", new TinyModels.AlternatingGenerator())
          .withClassifier("style-clf", TinyModels.greatDetector())
          .withEmbedder("encoder", TinyModels.oneHotWords());
  private final TaskRegistry registry =
      new TaskRegistry(catalog, RewardFunctionRegistry.discover(), 100);

  private static LabeledText ex(String text, int label) {
    return LabeledText.newBuilder().setText(text).setLabel(label).build();
  }

  private static ClassificationTask.Builder sst2(String model) {
    return ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName(model))
        .addVerbalizers("terrible")
        .addVerbalizers("great")
        .addLabelNames("negative")
        .addLabelNames("positive")
        .addTrain(ex("a good film", 1))
        .addTrain(ex("a bad film", 0))
        .addDev(ex("good", 1));
  }

  private static TaskSpec spec(ClassificationTask.Builder c) {
    return TaskSpec.newBuilder().setClassification(c).build();
  }

  private TaskValidationException invalid(TaskSpec spec) {
    return assertThrows(TaskValidationException.class, () -> registry.register(spec));
  }

  @Test
  void registersAClassificationTaskIdempotently() {
    RegisteredTask t = registry.register(spec(sst2("tiny-bert")));
    assertTrue(t.handle().matches("task-[0-9a-f]{16}"), t.handle());
    assertEquals(TaskType.TASK_TYPE_CLASSIFICATION, t.type());
    assertArrayEquals(new int[] {5, 6}, t.verbalizerIds());
    assertEquals("{sentence} {prompt} {mask} .", t.spec().getClassification().getTemplate());
    assertEquals(200f, t.spec().getClassification().getCorrectMultiplier());
    assertSame(t, registry.register(spec(sst2("tiny-bert"))));
    assertSame(t, registry.require(t.handle()));
    TaskInfo info = t.toTaskInfo();
    assertEquals(2, info.getTrainSize());
    assertEquals(1, info.getDevSize());
    assertEquals(0, info.getTestSize());
    assertEquals(List.of(5, 6), info.getVerbalizerTokenIdsList());
  }

  @Test
  void registeredTaskScoresThroughItsScorer() {
    RegisteredTask t = registry.register(spec(sst2("tiny-bert")));
    ClassificationReward.PromptResult r =
        t.classificationScorer(LogitsSource.direct(bert))
            .score("film", t.labeledExamples(Split.SPLIT_UNSPECIFIED, List.of()))
            .join();
    assertEquals(1f, r.accuracy());
    double gap = (Math.E - 1) / (Math.E + 1);
    assertEquals((float) (200 * gap), r.reward(), 1e-4f);
  }

  @Test
  void causalModelGetsTheCausalTemplateAndSpacedBpeVerbalizers() {
    RegisteredTask t = registry.register(spec(sst2("tiny-gpt")));
    assertEquals("{sentence} {prompt}", t.spec().getClassification().getTemplate());
    assertEquals(List.of("Ġterrible", "Ġgreat"), t.verbalizerTokens());
  }

  @Test
  void handleIgnoresDataSourcesAndExplicitDefaults() {
    RegisteredTask a = registry.register(spec(sst2("tiny-bert")));
    RegisteredTask b =
        registry.register(
            spec(
                sst2("tiny-bert")
                    .setTemplate("{sentence} {prompt} {mask} .")
                    .setCorrectMultiplier(200f)
                    .setIncorrectMultiplier(180f)
                    .setData(
                        DataSource.newBuilder()
                            .setFewShot(FewShotData.newBuilder().setDir("/x").setSplitSeed(13)))));
    assertEquals(a.handle(), b.handle());
    RegisteredTask c = registry.register(spec(sst2("tiny-bert").setCorrectMultiplier(100f)));
    assertNotEquals(a.handle(), c.handle());
    RegisteredTask d = registry.register(spec(sst2("tiny-bert").addTrain(ex("x", 0))));
    assertNotEquals(a.handle(), d.handle());
  }

  @Test
  void handleIsAStableContentHash() {
    TaskSpec s =
        TaskSpec.newBuilder()
            .setCustom(
                CustomTask.newBuilder()
                    .setRewardFunction("keyword")
                    .putParams("keywords", "great")
                    .putParams("mode", "any"))
            .build();
    TaskSpec reordered =
        TaskSpec.newBuilder()
            .setCustom(
                CustomTask.newBuilder()
                    .setRewardFunction("keyword")
                    .putParams("mode", "any")
                    .putParams("keywords", "great"))
            .build();
    assertEquals(TaskHandles.handleOf(s), TaskHandles.handleOf(reordered));
    // Pinned, and checked independently: sha256("pin.v1.TaskSpec/1\n" + the hand-encoded
    // protobuf bytes 22 29 0a 07 "keyword" 12 11 (0a 08 "keywords" 12 05 "great") 12 0b (0a 04
    // "mode" 12 03 "any")) computed in Python. A change means handles changed across versions.
    assertEquals("task-40ff18cff6bdb98d", TaskHandles.handleOf(s));
  }

  @Test
  void verbalizerThatIsNotOneTokenIsNamedWithItsSplit() {
    TaskValidationException e = invalid(spec(sst2("tiny-bert").setVerbalizers(1, "greatness")));
    Map<String, String> errors = TaskRegistry.byPath(e);
    String msg = errors.get("task.classification.verbalizers[1]");
    assertTrue(msg.contains("\"greatness\"") && msg.contains("[\"great\", \"##ness\"]"), msg);
    assertTrue(e.getMessage().startsWith("task.classification.verbalizers[1]: "), e.getMessage());
  }

  @Test
  void collectsEveryFieldProblem() {
    TaskValidationException e =
        invalid(
            spec(
                sst2("tiny-bert")
                    .addTrain(ex("", 2))
                    .setLabelNames(0, "neg")
                    .addLabelNames("extra")
                    .setIncorrectMultiplier(Float.NaN)));
    Map<String, String> errors = TaskRegistry.byPath(e);
    assertTrue(errors.containsKey("task.classification.train[2].text"), errors.toString());
    assertTrue(errors.get("task.classification.train[2].label").contains("outside [0, 2)"));
    assertTrue(errors.containsKey("task.classification.label_names"));
    assertTrue(errors.containsKey("task.classification.incorrect_multiplier"));
  }

  @Test
  void templateMustFitTheModel() {
    assertTrue(
        TaskRegistry.byPath(invalid(spec(sst2("tiny-bert").setTemplate("{sentence} {mask} ."))))
            .get("task.classification.template")
            .contains("{prompt}"));
    assertTrue(
        TaskRegistry.byPath(invalid(spec(sst2("tiny-bert").setTemplate("{prompt} {mask} ."))))
            .get("task.classification.template")
            .contains("{sentence}"));
    assertTrue(
        TaskRegistry.byPath(invalid(spec(sst2("tiny-bert").setTemplate("{sentence} {prompt}"))))
            .get("task.classification.template")
            .contains("{mask} exactly once"));
    assertTrue(
        TaskRegistry.byPath(
                invalid(spec(sst2("tiny-gpt").setTemplate("{sentence} {prompt} {mask}"))))
            .get("task.classification.template")
            .contains("causal LM"));
  }

  @Test
  void examplesMustBeInline() {
    assertTrue(
        TaskRegistry.byPath(invalid(spec(sst2("tiny-bert").clearTrain())))
            .get("task.classification.train")
            .contains("inline"));
  }

  @Test
  void missingModelIsAPreconditionNotAnArgument() {
    ModelNotFoundException e =
        assertThrows(
            ModelNotFoundException.class, () -> registry.register(spec(sst2("roberta-large"))));
    assertEquals("task.classification.task_model", e.path());
    assertTrue(e.getMessage().contains("roberta-large"));
    assertTrue(
        TaskRegistry.byPath(invalid(spec(sst2(""))))
            .containsKey("task.classification.task_model.name"));
  }

  @Test
  void emptySpecIsRejected() {
    assertTrue(TaskRegistry.byPath(invalid(TaskSpec.getDefaultInstance())).containsKey("task"));
  }

  @Test
  void unknownHandleIsNotFound() {
    assertThrows(UnknownTaskException.class, () -> registry.require("task-0000000000000000"));
  }

  @Test
  void evictsTheLeastRecentlyUsedTask() {
    TaskRegistry small = new TaskRegistry(catalog, RewardFunctionRegistry.discover(), 1);
    List<String> evicted = new java.util.ArrayList<>();
    small.addEvictionListener(evicted::add);
    RegisteredTask a = small.register(spec(sst2("tiny-bert")));
    RegisteredTask b = small.register(spec(sst2("tiny-gpt")));
    assertEquals(1, small.size());
    assertTrue(small.get(a.handle()).isEmpty());
    assertEquals(List.of(a.handle()), evicted);
    assertSame(b, small.require(b.handle()));
    assertEquals(a.handle(), small.register(spec(sst2("tiny-bert"))).handle());
  }

  /** Issue #17: 111 RegisterTasks of ~48 MB each filled the heap. */
  @Test
  void isBoundedInBytesAndRefusesATaskOverTheLimit() {
    TaskSpec a = spec(sst2("tiny-bert"));
    TaskSpec b = spec(sst2("tiny-gpt"));
    int size = Math.max(a.getSerializedSize(), b.getSerializedSize());
    // Room for one task's bytes only: the second evicts the first, whatever the count limit.
    TaskRegistry bounded = new TaskRegistry(catalog, RewardFunctionRegistry.discover(), 100,
        size, size + size / 2);
    RegisteredTask first = bounded.register(a);
    RegisteredTask second = bounded.register(b);
    assertTrue(bounded.get(first.handle()).isEmpty(), "evicted for bytes");
    assertSame(second, bounded.require(second.handle()));
    TaskSpec big = a.toBuilder().setClassification(a.getClassification().toBuilder()
        .addTrain(ex("x".repeat(size), 1))).build();
    TaskTooLargeException e = assertThrows(TaskTooLargeException.class,
        () -> bounded.register(big));
    assertTrue(e.getMessage().contains("reward.max-task-bytes"), e.getMessage());
    assertEquals(1, bounded.size());
  }

  @Test
  void selectsExampleSubsetsAndNamesBadIndices() {
    RegisteredTask t = registry.register(spec(sst2("tiny-bert")));
    assertEquals(List.of(ex("a bad film", 0)), t.labeledExamples(Split.SPLIT_TRAIN, List.of(1)));
    Map<String, String> errors =
        TaskRegistry.byPath(
            assertThrows(
                TaskValidationException.class,
                () -> t.labeledExamples(Split.SPLIT_TRAIN, List.of(0, 7))));
    assertEquals("7 is outside the train split (2 examples)", errors.get("example_indices[1]"));
    assertTrue(
        TaskRegistry.byPath(
                assertThrows(
                    TaskValidationException.class,
                    () -> t.labeledExamples(Split.SPLIT_TEST, List.of())))
            .containsKey("split"));
  }

  @Test
  void customTasksValidateTheirFunctionAndParams() {
    RegisteredTask t =
        registry.register(
            TaskSpec.newBuilder()
                .setCustom(
                    CustomTask.newBuilder()
                        .setRewardFunction("keyword")
                        .putParams("keywords", "great"))
                .build());
    assertEquals(TaskType.TASK_TYPE_CUSTOM, t.type());
    float[] r =
        t.rewardFunction()
            .orElseThrow()
            .score(List.of("great", "meh"), t.customContext(Split.SPLIT_TRAIN, List.of()));
    assertArrayEquals(new float[] {1f, 0f}, r, 0f);
    assertTrue(
        TaskRegistry.byPath(
                invalid(
                    TaskSpec.newBuilder()
                        .setCustom(CustomTask.newBuilder().setRewardFunction("nope"))
                        .build()))
            .get("task.custom.reward_function")
            .contains("keyword, regex"));
    assertTrue(
        TaskRegistry.byPath(
                invalid(
                    TaskSpec.newBuilder()
                        .setCustom(
                            CustomTask.newBuilder()
                                .setRewardFunction("regex")
                                .putParams("pattern", "("))
                        .build()))
            .containsKey("task.custom.params[\"pattern\"]"));
  }

  @Test
  void imageTargetsMustDecode() throws Exception {
    BufferedImage img = new BufferedImage(4, 3, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(img, "png", png);
    ImageInversionTask.Builder ok =
        ImageInversionTask.newBuilder()
            .setClip(ModelRef.newBuilder().setName("tiny-clip"))
            .addTargets(
                Image.newBuilder()
                    .setData(ByteString.copyFrom(png.toByteArray()))
                    .setSource("a.png"));
    RegisteredTask t = registry.register(TaskSpec.newBuilder().setImageInversion(ok).build());
    assertEquals(1, t.size(Split.SPLIT_TRAIN));
    Map<String, String> errors =
        TaskRegistry.byPath(
            invalid(
                TaskSpec.newBuilder()
                    .setImageInversion(
                        ok.clone()
                            .addTargets(
                                Image.newBuilder()
                                    .setData(ByteString.copyFromUtf8("not an image"))
                                    .setSource("b.txt")))
                    .build()));
    assertTrue(
        errors.get("task.image_inversion.targets[1].data").contains("b.txt"), errors.toString());
  }

  @Test
  void styleTransferGetsDefaultsAndChecksModels() {
    StyleTransferTask.Builder s =
        StyleTransferTask.newBuilder()
            .setGenerator(ModelRef.newBuilder().setName("tiny-gpt"))
            .setStyleClassifier(ModelRef.newBuilder().setName("style-clf"))
            .setContentModel(ModelRef.newBuilder().setName("encoder"))
            .setTargetLabel(1)
            .addTrain(StyleExample.newBuilder().setText("the food was bad ."));
    RegisteredTask t = registry.register(TaskSpec.newBuilder().setStyleTransfer(s).build());
    assertEquals("{prompt} \"{sentence}\" \"", t.spec().getStyleTransfer().getTemplate());
    assertEquals(128, t.spec().getStyleTransfer().getGeneration().getNumSamples());
    assertEquals(32, t.spec().getStyleTransfer().getGeneration().getGroupSize());
    assertEquals(10, t.spec().getStyleTransfer().getGeneration().getTopK());
    assertThrows(
        ModelNotFoundException.class,
        () ->
            registry.register(
                TaskSpec.newBuilder()
                    .setStyleTransfer(
                        s.clone().setFluencyClassifier(ModelRef.newBuilder().setName("cola")))
                    .build()));
    assertTrue(
        TaskRegistry.byPath(
                invalid(
                    TaskSpec.newBuilder()
                        .setStyleTransfer(s.clone().setTemplate("{sentence}"))
                        .build()))
            .get("task.style_transfer.template")
            .contains("{prompt}"));
  }
}
