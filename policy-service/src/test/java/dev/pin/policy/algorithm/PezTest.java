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
 * PEZ (ALGORITHMS.md §7.1) and soft prompts on the tiny random BERT, each step of the math
 * checked against an independent computation: the projection against a cosine argmax over the
 * embedding table read out as floats, the spliced inputs, the loss and the train accuracy against
 * ONNX Runtime's logits of the same ids, the first AdamW step against its closed form, a
 * checkpoint against an uninterrupted run (and against the byte layout PEZ checkpoints had before
 * AdamW moved to {@code qnet.Adam}), a soft prompt's first step against PEZ's (P starts on token
 * embeddings, where the two coincide), and the faithfulness of a projection against ONNX Runtime.
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

  private Pez soft(int length, double lr, double wd, long seed) {
    PezTask t = PezTask.of(task("{sentence} {prompt} {mask} ."), tokenizer, model.manifest(),
        length, lm.maxInputTokens());
    return new Pez(PezHyperparameters.softPrompt(length, lr, wd, seed), lm, t, specials(),
        manager);
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
        int correct = 0;
        for (int e = 0; e < TRAIN.length; e++) {
          double bad = logits[e][tokenizer.id("terrible")];
          double good = logits[e][tokenizer.id("great")];
          double max = Math.max(bad, good);
          double logZ = max + Math.log(Math.exp(bad - max) + Math.exp(good - max));
          expected -= (Integer.parseInt(TRAIN[e][1]) == 1 ? good : bad) - logZ;
          correct += (good > bad ? 1 : 0) == Integer.parseInt(TRAIN[e][1]) ? 1 : 0;
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
        assertEquals(100.0 * correct / TRAIN.length, r.trainAccuracy(), 1e-9,
            "the projection's train accuracy, w " + w + ", step " + step);
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

  // ---- soft prompts (Lester et al. 2021): no projection ----

  /**
   * P starts at the embeddings of L tokens, where it is its own projection: a soft prompt's first
   * step is PEZ's (same loss, same AdamW update). From the second step on P is off the token
   * embeddings and the soft prompt forwards P itself, so the losses part.
   */
  @Test
  void aSoftPromptsFirstStepIsPezsAndThenItForwardsItsOwnVectors() {
    try (Pez pez = pez(3, 0.3, 0.1, 8); Pez soft = soft(3, 0.3, 0.1, 8)) {
      assertArrayEquals(pez.continuousPrompt(), soft.continuousPrompt(), 0f, "same start");
      UpdateResult first = pez.update(List.of());
      UpdateResult softFirst = soft.update(List.of());
      assertEquals(first.loss(), softFirst.loss(), 1e-6);
      assertEquals(first.trainAccuracy(), softFirst.trainAccuracy(), 0);
      assertArrayEquals(pez.continuousPrompt(), soft.continuousPrompt(), 1e-6f,
          "the same gradient, the same AdamW step");
      double pezSecond = pez.update(List.of()).loss();
      double softSecond = soft.update(List.of()).loss();
      assertTrue(Math.abs(pezSecond - softSecond) > 1e-3,
          "PEZ forwards the projection, the soft prompt P: " + pezSecond + " vs " + softSecond);
    }
  }

  /** A soft prompt learns: its task loss falls. */
  @Test
  void aSoftPromptsLossFalls() {
    try (Pez soft = soft(4, 0.05, 0.0, 1)) {
      double first = soft.update(List.of()).loss();
      double best = first;
      for (int i = 1; i < 15; i++) {
        best = Math.min(best, soft.update(List.of()).loss());
      }
      System.out.printf("soft prompt on the tiny BERT: loss %.4f at step 1, best %.4f in 15 "
          + "steps%n", first, best);
      assertTrue(best < first - 0.05, "first " + first + ", best " + best);
    }
  }

  @Test
  void aSoftPromptCheckpointContinuesTheRunExactly() throws Exception {
    try (Pez straight = soft(3, 0.3, 0.1, 21); Pez restored = soft(3, 0.3, 0.1, 99)) {
      for (int i = 0; i < 3; i++) {
        straight.update(List.of());
      }
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      straight.save(saved);
      restored.load(new ByteArrayInputStream(saved.toByteArray()));
      assertEquals(3, restored.step());
      for (int i = 0; i < 3; i++) {
        UpdateResult a = straight.update(List.of());
        UpdateResult b = restored.update(List.of());
        assertEquals(a.loss(), b.loss(), 0.0);
        assertEquals(a.gradNorm(), b.gradNorm(), 0.0);
      }
      assertArrayEquals(straight.continuousPrompt(), restored.continuousPrompt(), 0f);
    }
  }

  /**
   * AdamW moved from PEZ's own loop to {@code qnet.Adam}; the checkpoint layout stayed: magic
   * "PEZ1", version 1, L, d, step, the next sample id, then P, m and v as big-endian floats.
   * Bytes written out here in that layout load, and the policy continues from them exactly as
   * the policy whose state they hold.
   */
  @Test
  void aCheckpointInTheLayoutPezHadBeforeLoads() throws Exception {
    try (Pez fresh = pez(3, 0.3, 0.1, 21); Pez restored = pez(3, 0.3, 0.1, 99)) {
      float[] p = fresh.continuousPrompt();
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
      out.writeInt(0x50455A31);
      out.writeInt(1);
      out.writeInt(3);
      out.writeInt(p.length / 3);
      out.writeLong(0); // step
      out.writeLong(1); // next sample id
      for (float f : p) {
        out.writeFloat(f);
      }
      for (int i = 0; i < 2 * p.length; i++) {
        out.writeFloat(0); // AdamW's zero moments
      }
      out.flush();
      restored.load(new ByteArrayInputStream(bytes.toByteArray()));
      assertArrayEquals(p, restored.continuousPrompt(), 0f);
      for (int i = 0; i < 3; i++) {
        assertEquals(fresh.update(List.of()).loss(), restored.update(List.of()).loss(), 0.0);
      }
      ByteArrayOutputStream again = new ByteArrayOutputStream();
      fresh.save(again);
      assertEquals(bytes.size(), again.size(), "the same layout is written");
    }
  }

  // ---- faithfulness of the projection (§7.2) ----

  private static final String[][] DEV = {
      {"a fine film", "1"}, {"boring and bad", "0"}, {"loved it", "1"}, {"the plot was awful", "0"},
      {"great acting , great story", "1"}, {"i hate it", "0"}};

  private static List<LabeledText> dev() {
    List<LabeledText> out = new ArrayList<>();
    for (String[] e : DEV) {
      out.add(LabeledText.newBuilder().setText(e[0]).setLabel(Integer.parseInt(e[1])).build());
    }
    return out;
  }

  /**
   * A continuous prompt that is exactly the embeddings of tokens projects onto those tokens and
   * drives the model as they do: equal scores and losses, 100 % agreement. The projection's
   * accuracy and loss are ONNX Runtime's for the ids spliced into the dev sentences (written out
   * here). Scaled by 3 the prompt keeps its projection (cosine ignores length) but not its
   * logits: the continuous side reads the vectors.
   */
  @Test
  void aPromptOnTokenEmbeddingsIsFaithfulToItsProjection() throws Exception {
    int[] ids = {tokenizer.id("great"), tokenizer.id("boring"), tokenizer.id("so")};
    try (Pez pez = pez(3, 0.3, 0.1, 4); OrtSessions sessions = new OrtSessions()) {
      float[] e = lm.wordEmbeddings().toFloatArray();
      int d = pez.width();
      float[] onTokens = new float[ids.length * d];
      for (int i = 0; i < ids.length; i++) {
        System.arraycopy(e, ids[i] * d, onTokens, i * d, d);
      }
      PezTask examples = pez.task().reader().read(dev(), "examples");
      Pez.Faithfulness f = pez.score(examples, onTokens);
      assertArrayEquals(ids, f.projection());
      assertEquals(DEV.length, f.examples());
      assertEquals(f.continuousScore(), f.projectionScore(), 0.0);
      assertEquals(1.0, f.agreement(), 0.0);
      assertEquals(f.continuousLoss(), f.projectionLoss(), 1e-6);
      assertEquals(1.0, f.meanRowCosine(), 1e-5);

      MaskedLm ort = MaskedLm.open(model, OrtConfig.cpu(1), sessions);
      List<int[]> inputs = new ArrayList<>();
      int[] maskAt = new int[DEV.length];
      for (int x = 0; x < DEV.length; x++) {
        List<Integer> in = new ArrayList<>();
        in.add(model.manifest().specialId("cls"));
        for (int id : tokenizer.ids(DEV[x][0])) {
          in.add(id);
        }
        for (int id : ids) {
          in.add(id);
        }
        maskAt[x] = in.size();
        in.add(model.manifest().specialId("mask"));
        in.add(tokenizer.id("."));
        in.add(model.manifest().specialId("sep"));
        inputs.add(in.stream().mapToInt(Integer::intValue).toArray());
      }
      float[][] logits = ort.logitsAt(inputs, maskAt);
      int correct = 0;
      double loss = 0;
      for (int x = 0; x < DEV.length; x++) {
        double bad = logits[x][tokenizer.id("terrible")];
        double good = logits[x][tokenizer.id("great")];
        int label = Integer.parseInt(DEV[x][1]);
        correct += (good > bad ? 1 : 0) == label ? 1 : 0;
        double max = Math.max(bad, good);
        loss -= (label == 1 ? good : bad) - max
            - Math.log(Math.exp(bad - max) + Math.exp(good - max));
      }
      assertEquals(100.0 * correct / DEV.length, f.projectionScore(), 1e-9);
      assertEquals(loss / DEV.length, f.projectionLoss(), 1e-4);

      float[] scaled = onTokens.clone();
      for (int i = 0; i < scaled.length; i++) {
        scaled[i] *= 3;
      }
      Pez.Faithfulness g = pez.score(examples, scaled);
      assertArrayEquals(ids, g.projection(), "cosine ignores the rows' lengths");
      assertEquals(f.projectionLoss(), g.projectionLoss(), 1e-6);
      assertTrue(Math.abs(g.continuousLoss() - g.projectionLoss()) > 1e-3,
          "the continuous side forwards the vectors: " + g.continuousLoss() + " vs "
              + g.projectionLoss());
    }
  }

  /** Without a prompt given, the current P is scored, and its projection is Sample's prompt. */
  @Test
  void theCurrentPromptIsScoredAndBadInputsAreRefused() {
    try (Pez soft = soft(3, 0.3, 0.1, 6)) {
      soft.update(List.of());
      PezTask examples = soft.task().reader().read(dev(), "examples");
      Pez.Faithfulness f = soft.score(examples, null);
      assertArrayEquals(soft.continuousPrompt(), f.prompt(), 0f);
      assertArrayEquals(promptOf(soft), f.projection());
      assertTrue(f.meanRowCosine() < 1, "after a step P is off the token embeddings");
      assertEquals(1, soft.step(), "scoring learns nothing");
      assertThrows(IllegalArgumentException.class, () -> soft.score(examples, new float[5]));
      IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
          () -> soft.task().reader().read(List.of(LabeledText.newBuilder().setText("ok")
              .setLabel(2).build()), "examples"));
      assertTrue(label.getMessage().startsWith("examples[0].label: "), label.getMessage());
    }
  }
}
