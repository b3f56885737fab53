package dev.pin.scorer.naturalness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.CausalLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batched causal perplexity and prior plausibility (§7.3, §4.2) on the tiny random GPT-2 equal a
 * direct computation: one forward pass per prefix, each a batch of one, log-softmax in double and
 * ranks by sorting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CausalLmNaturalnessTest {
  private static final double TOL = 1e-4;

  private CausalLm model;
  private OrtCausalScoringLm lm;
  private CausalLm optModel;
  private OrtCausalScoringLm opt;

  @BeforeAll
  void openTinyModels(@TempDir Path dir) throws Exception {
    model = CausalLm.open(TinyModels.gpt2Clm(dir.resolve("tiny-gpt2-clm"), 5), OrtConfig.cpu(1));
    lm = new OrtCausalScoringLm(model);
    optModel = CausalLm.open(TinyModels.optClm(dir.resolve("tiny-opt-clm"), 5,
        TinyModels.OPT_CONFIG), OrtConfig.cpu(1));
    opt = new OrtCausalScoringLm(optModel);
  }

  @AfterAll
  void close() {
    lm.close();
    opt.close();
  }

  private List<int[]> prompts() {
    return List.of(lm.ids("the movie was great"), lm.ids("hi"), lm.ids("x"),
        lm.ids("aaaaa"), lm.ids("the movie was great"), lm.ids("Terrible plot!"));
  }

  /** log p(next | prefix) for every vocabulary token, from a batch of one. */
  private double[] logSoftmaxAfter(int[] prefix) throws IOException {
    return logSoftmaxAfter(model, prefix);
  }

  private static double[] logSoftmaxAfter(CausalLm model, int[] prefix) throws IOException {
    float[] row = model.nextTokenLogits(List.of(prefix))[0];
    double max = Double.NEGATIVE_INFINITY;
    for (float v : row) {
      max = Math.max(max, v);
    }
    double z = 0;
    for (float v : row) {
      z += Math.exp(v - max);
    }
    double[] out = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      out[i] = row[i] - max - Math.log(z);
    }
    return out;
  }

  /** 1 + the number of tokens with a strictly larger log-probability, found by sorting. */
  private static int rankBySorting(double[] logProbs, int target) {
    double[] sorted = logProbs.clone();
    Arrays.sort(sorted);
    int above = 0;
    for (int i = sorted.length - 1; i >= 0 && sorted[i] > logProbs[target]; i--) {
      above++;
    }
    return above + 1;
  }

  private static int[] withBos(int bos, int[] z, int upTo) {
    int[] prefix = new int[upTo + 1];
    prefix[0] = bos;
    System.arraycopy(z, 0, prefix, 1, upTo);
    return prefix;
  }

  @Test
  void bosPerplexityEqualsOneForwardPerPrefix() throws Exception {
    int k = 20;
    List<NaturalnessResult> results =
        new CausalLmNaturalness(lm, 4096).score(prompts(), Convention.CAUSAL_PPL_BOS, k);
    for (int p = 0; p < prompts().size(); p++) {
      int[] z = prompts().get(p);
      NaturalnessResult r = results.get(p);
      assertEquals(Convention.CAUSAL_PPL_BOS, r.convention());
      assertEquals("tiny-gpt2-clm", r.model());
      assertArrayEquals(z, r.tokenIds());
      assertEquals(z.length, r.pllTerms().length, "every token is scored after BOS");
      double sum = 0;
      for (int t = 0; t < z.length; t++) {
        double[] lp = logSoftmaxAfter(withBos(lm.bosId(), z, t));
        assertEquals(lp[z[t]], r.pllTerms()[t], TOL, "log p(z_" + t + " | BOS, z_<t)");
        TokenScore s = r.prior().get(t);
        assertEquals(z[t], s.id());
        assertEquals(lp[z[t]], s.logProb(), TOL);
        assertEquals(rankBySorting(lp, z[t]), s.rank());
        assertEquals(s.rank() <= k, s.inPriorTopK());
        sum += lp[z[t]];
      }
      assertEquals(sum, r.logLikelihood(), TOL);
      assertEquals(Math.exp(-sum / z.length), r.perplexity(), 1e-4 * r.perplexity());
      assertTrue(r.perplexity() >= 1);
    }
  }

  @Test
  void optPerplexityEqualsOneForwardPerPrefixWithItsOwnBos() throws Exception {
    assertEquals(2, opt.bosId(), "OPT's BOS is </s>");
    List<int[]> prompts = List.of(opt.ids("the movie was great"), opt.ids("hi"));
    assertEquals(2, prompts.get(1).length, "the tokenizer adds no </s> itself");
    List<NaturalnessResult> results =
        new CausalLmNaturalness(opt, 64).score(prompts, Convention.CAUSAL_PPL_BOS, 20);
    for (int p = 0; p < prompts.size(); p++) {
      int[] z = prompts.get(p);
      double sum = 0;
      for (int t = 0; t < z.length; t++) {
        double[] lp = logSoftmaxAfter(optModel, withBos(opt.bosId(), z, t));
        assertEquals(lp[z[t]], results.get(p).pllTerms()[t], TOL);
        assertEquals(rankBySorting(lp, z[t]), results.get(p).prior().get(t).rank());
        sum += lp[z[t]];
      }
      assertEquals(Math.exp(-sum / z.length), results.get(p).perplexity(),
          1e-4 * results.get(p).perplexity());
    }
    assertTrue(opt.isSpecial(1) && opt.isSpecial(2), "<pad> and </s> are special");
  }

  @Test
  void bosTermsAgreeWithThePlatformsTokenLogProbs() throws Exception {
    int[] z = lm.ids("the movie was great");
    double[] platform = model.tokenLogProbs(List.of(withBos(lm.bosId(), z, z.length)), 1).get(0);
    NaturalnessResult r = new CausalLmNaturalness(lm, 64)
        .score(List.of(z), Convention.CAUSAL_PPL_BOS, 1).get(0);
    assertArrayEquals(platform, r.pllTerms(), TOL);
  }

  @Test
  void withoutBosTheFirstTokenIsNotScored() throws Exception {
    List<int[]> prompts = List.of(lm.ids("the movie was great"), lm.ids("hi"));
    List<NaturalnessResult> results =
        new CausalLmNaturalness(lm, 4096).score(prompts, Convention.CAUSAL_PPL_NO_BOS, 20);
    for (int p = 0; p < prompts.size(); p++) {
      int[] z = prompts.get(p);
      NaturalnessResult r = results.get(p);
      assertEquals(Convention.CAUSAL_PPL_NO_BOS, r.convention());
      assertEquals(z.length - 1, r.pllTerms().length);
      assertEquals(z.length - 1, r.prior().size());
      double sum = 0;
      for (int t = 1; t < z.length; t++) {
        double[] lp = logSoftmaxAfter(Arrays.copyOf(z, t));
        assertEquals(lp[z[t]], r.pllTerms()[t - 1], TOL, "log p(z_" + t + " | z_<t)");
        assertEquals(z[t], r.prior().get(t - 1).id());
        sum += lp[z[t]];
      }
      assertEquals(Math.exp(-sum / (z.length - 1)), r.perplexity(), 1e-4 * r.perplexity());
    }
    NaturalnessResult bos = new CausalLmNaturalness(lm, 4096)
        .score(List.of(prompts.get(0)), Convention.CAUSAL_PPL_BOS, 20).get(0);
    assertFalse(Math.abs(bos.perplexity() - results.get(0).perplexity()) < 1e-9,
        "the two conventions are different numbers");
    assertThrows(IllegalArgumentException.class, () -> new CausalLmNaturalness(lm, 64)
        .score(List.of(lm.ids("x")), Convention.CAUSAL_PPL_NO_BOS, 1));
  }

  /** Counts forward passes and their sizes. */
  private static final class Counting implements CausalScoringLm {
    final CausalScoringLm inner;
    final List<Integer> batchSizes = new ArrayList<>();
    final List<Integer> paddedPositions = new ArrayList<>();

    Counting(CausalScoringLm inner) {
      this.inner = inner;
    }

    @Override public String name() {
      return inner.name();
    }

    @Override public int vocabSize() {
      return inner.vocabSize();
    }

    @Override public int maxPositions() {
      return inner.maxPositions();
    }

    @Override public int bosId() {
      return inner.bosId();
    }

    @Override public boolean isSpecial(int id) {
      return inner.isSpecial(id);
    }

    @Override public int[] ids(String text) {
      return inner.ids(text);
    }

    @Override public String token(int id) {
      return inner.token(id);
    }

    @Override public String decode(int id) {
      return inner.decode(id);
    }

    @Override public float[][][] logits(List<int[]> sequences) throws IOException {
      batchSizes.add(sequences.size());
      int longest = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
      paddedPositions.add(longest * sequences.size());
      return inner.logits(sequences);
    }
  }

  @Test
  void resultsDoNotDependOnBatchingAndDuplicatesRunOnce() throws Exception {
    Counting one = new Counting(lm);
    List<NaturalnessResult> big =
        new CausalLmNaturalness(one, 4096).score(prompts(), Convention.CAUSAL_PPL_BOS, 5);
    assertEquals(List.of(prompts().size() - 1), one.batchSizes,
        "one forward pass; the repeated prompt is scored once");
    Counting small = new Counting(lm);
    List<NaturalnessResult> tiny =
        new CausalLmNaturalness(small, 8).score(prompts(), Convention.CAUSAL_PPL_BOS, 5);
    assertTrue(small.batchSizes.size() > 1, "several batches: " + small.batchSizes);
    for (int i = 0; i < small.paddedPositions.size(); i++) {
      assertTrue(small.paddedPositions.get(i) <= 8 || small.batchSizes.get(i) == 1,
          "batch " + i + " within the position budget or alone: " + small.paddedPositions);
    }
    for (int p = 0; p < prompts().size(); p++) {
      assertArrayEquals(big.get(p).pllTerms(), tiny.get(p).pllTerms(), TOL);
      for (int t = 0; t < big.get(p).prior().size(); t++) {
        assertEquals(big.get(p).prior().get(t).rank(), tiny.get(p).prior().get(t).rank());
      }
    }
  }

  @Test
  void theArgmaxRanksFirstAndTheArgminLast() throws Exception {
    double[] lp = logSoftmaxAfter(new int[] {lm.bosId()});
    int argmax = 0;
    int argmin = 0;
    for (int i = 0; i < lp.length; i++) {
      argmax = lp[i] > lp[argmax] ? i : argmax;
      argmin = lp[i] < lp[argmin] ? i : argmin;
    }
    CausalLmNaturalness scorer = new CausalLmNaturalness(lm, 64);
    List<NaturalnessResult> r = scorer.score(List.of(new int[] {argmax}, new int[] {argmin}),
        Convention.CAUSAL_PPL_BOS, 1);
    assertEquals(1, r.get(0).prior().get(0).rank());
    assertTrue(r.get(0).prior().get(0).inPriorTopK());
    assertEquals(lm.vocabSize(), r.get(1).prior().get(0).rank());
    assertFalse(r.get(1).prior().get(0).inPriorTopK());
  }

  @Test
  void tokenizerViewOfTheByteLevelVocabulary() {
    CausalLmNaturalness scorer = new CausalLmNaturalness(lm, 64);
    int[] z = scorer.tokenize("hi there");
    assertEquals(8, z.length, "the tiny vocabulary is bytes");
    assertEquals("Ġ", scorer.token(z[2]), "a space is Ġ in byte-level BPE");
    assertFalse(scorer.continuesWord(z[2]), "a space piece starts a word");
    assertTrue(scorer.continuesWord(z[1]), "i continues h");
    assertTrue(scorer.isSpecial(lm.bosId()));
    assertFalse(scorer.isSpecial(z[0]));
    assertThrows(IllegalArgumentException.class,
        () -> scorer.score(List.of(z), Convention.MASKED_PSEUDO_PPL, 1));
  }
}
