package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.policy.torch.TorchMaskedLm;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.ModelRef;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PEZ (ALGORITHMS.md §7.1) on the tiny random BERT, each step of the math checked against an
 * independent computation: the projection against a cosine argmax over the embedding table read
 * out as floats, the spliced inputs and the loss against ONNX Runtime's logits of the same ids,
 * the first AdamW step against its closed form, and a checkpoint against an uninterrupted run.
 */
class PezTest {
  /** Ten examples of different lengths: two chunks of the forward ({@code Pez.EXAMPLES_PER_FORWARD}). */
  private static final String[][] TRAIN = {
      {"a great movie", "1"}, {"the best film", "1"}, {"really fun acting", "1"},
      {"a terrible plot", "0"}, {"the worst acting", "0"}, {"so boring", "0"},
      {"i love this story , it was very nice", "1"}, {"awful", "0"},
      {"what a happy and amazing film", "1"}, {"i hate this movie , the plot was bad", "0"}};

  @TempDir Path dir;
  private ModelDir model;
  private NDManager manager;
  private TorchMaskedLm lm;
  private TextTokenizer tokenizer;

  @BeforeEach
  void load() throws Exception {
    model = TinyModels.bertMlm(dir.resolve("tiny-bert"), 7);
    manager = NDManager.newBaseManager("PyTorch");
    lm = TorchMaskedLm.load(model, manager);
    tokenizer = model.textTokenizer();
  }

  @AfterEach
  void close() {
    lm.close();
    manager.close();
  }

  private static ClassificationTask task(String template) {
    ClassificationTask.Builder t = ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("tiny-bert")).setTemplate(template)
        .addVerbalizers("terrible").addVerbalizers("great");
    for (String[] e : TRAIN) {
      t.addTrain(LabeledText.newBuilder().setText(e[0]).setLabel(Integer.parseInt(e[1])));
    }
    return t.build();
  }

  private Pez pez(int length, double lr, double wd, long seed) {
    return pez(length, lr, wd, 0, seed);
  }

  private Pez pez(int length, double lr, double wd, double w, long seed) {
    PezTask t = PezTask.of(task("{sentence} {prompt} {mask} ."), tokenizer, model.manifest(),
        length, lm.maxInputTokens());
    return new Pez(new PezHyperparameters(length, lr, wd, w, seed), lm, t, specials(), manager);
  }

  private int[] specials() {
    return IntStream.range(0, 5).toArray(); // [PAD] [UNK] [CLS] [SEP] [MASK]
  }

  private static int[] promptOf(Pez pez) {
    return pez.sample(1, true).prompts().get(0).tokenIds();
  }

  @Test
  void theTaskSplicesLPromptSlotsWhereTheTemplateSaysAndChecksItsFields() {
    PezTask t = PezTask.of(task("{prompt} {sentence} {prompt} {mask} ."), tokenizer,
        model.manifest(), 3, lm.maxInputTokens());
    int cls = model.manifest().specialId("cls");
    int mask = model.manifest().specialId("mask");
    int pad = model.manifest().specialId("pad");
    assertTrue(TRAIN.length > Pez.EXAMPLES_PER_FORWARD, "the loss is summed over chunks");
    // "so boring": [CLS] · · · so boring · · · [MASK] . [SEP]
    int[] expected = new int[] {cls, pad, pad, pad, tokenizer.id("so"), tokenizer.id("boring"),
        pad, pad, pad, mask, tokenizer.id("."), model.manifest().specialId("sep")};
    assertArrayEquals(expected, t.inputs().get(5));
    assertArrayEquals(new int[] {1, 2, 3, 6, 7, 8}, t.slots().get(5));
    assertEquals(9, t.maskPositions()[5]);
    assertArrayEquals(new int[] {tokenizer.id("terrible"), tokenizer.id("great")},
        t.verbalizerIds());

    IllegalArgumentException twoTokens = assertThrows(IllegalArgumentException.class,
        () -> PezTask.of(task("").toBuilder().setVerbalizers(1, "zq").build(), tokenizer,
            model.manifest(), 3, 512));
    assertTrue(twoTokens.getMessage().startsWith("task.classification.verbalizers[1]: "),
        twoTokens.getMessage());
    IllegalArgumentException noPrompt = assertThrows(IllegalArgumentException.class,
        () -> PezTask.of(task("{sentence} {mask} ."), tokenizer, model.manifest(), 3, 512));
    assertTrue(noPrompt.getMessage().startsWith("task.classification.template: "));
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> PezTask.of(task(""), tokenizer, model.manifest(), 3, 8));
    assertTrue(tooLong.getMessage().startsWith("task.classification.train[0].text: "));
  }

  /** (1): each row of P goes to the non-special token of highest cosine similarity. */
  @Test
  void theProjectionIsTheNearestVocabularyEmbeddingByCosine() {
    try (Pez pez = pez(4, 0.3, 0.1, 11)) {
      for (int step = 0; step < 3; step++) {
        float[] p = pez.continuousPrompt();
        float[] e = lm.wordEmbeddings().toFloatArray();
        int d = p.length / 4;
        int vocab = e.length / d;
        int[] expected = new int[4];
        for (int i = 0; i < 4; i++) {
          double best = Double.NEGATIVE_INFINITY;
          for (int v = 5; v < vocab; v++) {
            double dot = 0;
            double norm = 0;
            for (int k = 0; k < d; k++) {
              dot += (double) p[i * d + k] * e[v * d + k];
              norm += (double) e[v * d + k] * e[v * d + k];
            }
            double cos = dot / Math.sqrt(norm);
            if (cos > best) {
              best = cos;
              expected[i] = v;
            }
          }
        }
        assertArrayEquals(expected, promptOf(pez), "step " + step);
        pez.update(List.of());
      }
      assertEquals(3, pez.step());
    }
  }

  /**
   * (2)–(3): the loss is the cross-entropy of ONNX Runtime's verbalizer logits for the ids; with
   * a fluency weight w, §7.1's mix with the prompt's NLL, here ONNX Runtime's pseudo-log-
   * likelihood of {@code [CLS] prompt [SEP]} per token (§7.3).
   */
  @Test
  void theLossIsTheCrossEntropyOfTheProjectedPromptOverTheVerbalizers() throws Exception {
    for (double w : new double[] {0, 0.3, 1}) {
      assertLossMatchesOnnxRuntime(w);
    }
  }

  private void assertLossMatchesOnnxRuntime(double w) throws Exception {
    try (Pez pez = pez(3, 0.3, 0.1, w, 5); OrtSessions sessions = new OrtSessions()) {
      MaskedLm ort = MaskedLm.open(model, OrtConfig.cpu(1), sessions);
      for (int step = 0; step < 2; step++) {
        int[] prompt = promptOf(pez);
        List<int[]> inputs = new ArrayList<>();
        int[] maskAt = new int[TRAIN.length];
        for (int e = 0; e < TRAIN.length; e++) {
          // [CLS] sentence prompt [MASK] . [SEP], written out independently of PezTask.
          List<Integer> ids = new ArrayList<>();
          ids.add(model.manifest().specialId("cls"));
          for (int id : tokenizer.ids(TRAIN[e][0])) {
            ids.add(id);
          }
          for (int id : prompt) {
            ids.add(id);
          }
          maskAt[e] = ids.size();
          ids.add(model.manifest().specialId("mask"));
          ids.add(tokenizer.id("."));
          ids.add(model.manifest().specialId("sep"));
          inputs.add(ids.stream().mapToInt(Integer::intValue).toArray());
        }
        float[][] logits = ort.logitsAt(inputs, maskAt);
        double expected = 0;
        for (int e = 0; e < TRAIN.length; e++) {
          double bad = logits[e][tokenizer.id("terrible")];
          double good = logits[e][tokenizer.id("great")];
          double max = Math.max(bad, good);
          double logZ = max + Math.log(Math.exp(bad - max) + Math.exp(good - max));
          expected -= (Integer.parseInt(TRAIN[e][1]) == 1 ? good : bad) - logZ;
        }
        expected /= TRAIN.length;
        int[] framed = new int[prompt.length + 2];
        framed[0] = model.manifest().specialId("cls");
        System.arraycopy(prompt, 0, framed, 1, prompt.length);
        framed[framed.length - 1] = model.manifest().specialId("sep");
        double nll = -java.util.Arrays.stream(ort.pseudoLogLikelihood(framed, 1,
            prompt.length + 1)).sum() / prompt.length;
        expected = w * nll + (1 - w) * expected;
        UpdateResult r = pez.update(List.of());
        assertEquals(expected, r.loss(), 1e-4, "w " + w + ", step " + step);
        assertTrue(r.updated() && r.gradNorm() > 0 && Double.isFinite(r.gradNorm()));
      }
    }
  }

  /**
   * (4)–(5): AdamW's first step is P ← P·(1 − lr·wd) − lr·g/(|g| + ε), so every coordinate with
   * a gradient moves by lr after the decay, whatever the gradient's size.
   */
  @Test
  void theFirstStepIsAdamWsSignStepOnTheDecayedPrompt() {
    double lr = 0.05;
    double wd = 0.1;
    try (Pez pez = pez(2, lr, wd, 3)) {
      float[] before = pez.continuousPrompt();
      pez.update(List.of());
      float[] after = pez.continuousPrompt();
      int moved = 0;
      for (int i = 0; i < before.length; i++) {
        double step = after[i] - before[i] * (1 - lr * wd);
        if (Math.abs(step) > 1e-6) {
          assertEquals(lr, Math.abs(step), 1e-5, "coordinate " + i);
          moved++;
        }
      }
      assertTrue(moved > before.length * 0.95, moved + " of " + before.length + " moved");
    }
  }

  /** A run restored from a checkpoint continues exactly as the uninterrupted run. */
  @Test
  void aCheckpointContinuesTheRunExactly() throws Exception {
    try (Pez straight = pez(3, 0.3, 0.1, 21); Pez restored = pez(3, 0.3, 0.1, 99)) {
      for (int i = 0; i < 3; i++) {
        straight.update(List.of());
      }
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      straight.save(saved);
      restored.load(new ByteArrayInputStream(saved.toByteArray()));
      assertEquals(3, restored.step());
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(promptOf(straight), promptOf(restored));
        assertEquals(straight.update(List.of()).loss(), restored.update(List.of()).loss(), 0.0);
      }
      assertArrayEquals(straight.continuousPrompt(), restored.continuousPrompt(), 0f);
      try (Pez otherLength = pez(4, 0.3, 0.1, 21)) {
        assertThrows(java.io.IOException.class,
            () -> otherLength.load(new ByteArrayInputStream(saved.toByteArray())));
      }
    }
  }

  /** With w = 1 PEZ optimises the prompt's fluency alone: its NLL falls. */
  @Test
  void theFluencyTermAloneMakesThePromptMoreLikely() {
    try (Pez pez = pez(4, 0.3, 0.1, 1.0, 2)) {
      double first = pez.update(List.of()).loss();
      double best = first;
      for (int i = 1; i < 15; i++) {
        best = Math.min(best, pez.update(List.of()).loss());
      }
      System.out.printf("PEZ, w = 1, on the tiny BERT: NLL %.4f at step 1, best %.4f in 15 "
          + "steps%n", first, best);
      assertTrue(best < first - 0.05, "first " + first + ", best " + best);
    }
  }

  /**
   * PEZ learns: on the tiny BERT the best projected prompt of 25 steps has a lower task loss than
   * the random one it started from (the projected loss is not monotone, so the best is compared).
   */
  @Test
  void theProjectedLossFallsOverTraining() {
    try (Pez pez = pez(4, 0.3, 0.1, 1)) {
      double first = pez.update(List.of()).loss();
      double best = first;
      for (int i = 1; i < 25; i++) {
        best = Math.min(best, pez.update(List.of()).loss());
      }
      System.out.printf("PEZ on the tiny BERT: loss %.4f at step 1, best %.4f in 25 steps%n",
          first, best);
      assertTrue(best < first - 0.05, "first " + first + ", best " + best);
    }
  }
}
