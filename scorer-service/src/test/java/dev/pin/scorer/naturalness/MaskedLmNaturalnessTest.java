package dev.pin.scorer.naturalness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Batched PLL and prior plausibility equal the naive computation (§7.3, §4.2). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MaskedLmNaturalnessTest {
  private static final double TOL = 1e-4;

  private MaskedScoringLm lm;
  private NaiveNaturalness naive;

  @BeforeAll
  void openTinyModel(@TempDir Path dir) throws Exception {
    lm = new OrtMaskedScoringLm(MaskedLm.open(TinyModels.bertMlm(dir.resolve("tiny-bert-mlm"), 7),
        OrtConfig.cpu(1)));
    naive = new NaiveNaturalness(lm);
  }

  private int[] ids(String text) {
    return lm.tokenizer().ids(text);
  }

  private List<int[]> prompts() {
    return List.of(ids("the movie was great"), ids("terrible plot , boring acting !"),
        ids("paris"), ids("great great great great great"), ids("zqx review"));
  }

  @Test
  void batchedPseudoLogLikelihoodEqualsOneForwardPerMask() throws Exception {
    CountingLm counting = new CountingLm(lm);
    List<NaturalnessResult> results = new MaskedLmNaturalness(counting, 256).score(prompts(), 20);
    assertEquals(1, counting.batchSizes.size(), "all masked copies in one forward pass");
    for (int p = 0; p < prompts().size(); p++) {
      int[] z = prompts().get(p);
      NaturalnessResult r = results.get(p);
      assertArrayEquals(z, r.tokenIds());
      double[] expected = naive.pllTerms(z);
      assertArrayEquals(expected, r.pllTerms(), TOL);
      double pll = naive.pseudoLogLikelihood(z);
      assertEquals(pll, r.pseudoLogLikelihood(), TOL);
      assertEquals(Math.exp(-pll / z.length), r.pseudoPerplexity(), 1e-4 * r.pseudoPerplexity());
      assertTrue(r.pseudoPerplexity() >= 1, "pseudo-perplexity ≥ 1");
    }
  }

  @Test
  void resultsDoNotDependOnBatchSize() throws Exception {
    List<NaturalnessResult> whole = new MaskedLmNaturalness(lm, 1024).score(prompts(), 20);
    for (int batch : new int[] {1, 3, 7}) {
      CountingLm counting = new CountingLm(lm);
      List<NaturalnessResult> split = new MaskedLmNaturalness(counting, batch).score(prompts(), 20);
      assertTrue(counting.batchSizes.stream().allMatch(b -> b <= batch), counting.batchSizes
          .toString());
      for (int p = 0; p < whole.size(); p++) {
        assertArrayEquals(whole.get(p).pllTerms(), split.get(p).pllTerms(), TOL);
        for (int t = 0; t < whole.get(p).prior().size(); t++) {
          assertEquals(whole.get(p).prior().get(t).rank(), split.get(p).prior().get(t).rank());
        }
      }
    }
  }

  @Test
  void identicalQueriesAreComputedOnce() throws Exception {
    // Per prompt of T tokens: T masked copies + T prefix queries, minus one because the last
    // position's masked copy is its prefix query. The two prompts share "the movie was", so their
    // prefix queries for t = 0, 1, 2, 3 coincide as well.
    CountingLm counting = new CountingLm(lm);
    new MaskedLmNaturalness(counting, 256).score(List.of(ids("the movie was great"),
        ids("the movie was bad")), 20);
    int perPrompt = 2 * 4 - 1;
    assertEquals(List.of(2 * perPrompt - 4), counting.batchSizes);
    CountingLm pllOnly = new CountingLm(lm);
    new MaskedLmNaturalness(pllOnly, 256).pseudoLikelihood(List.of(ids("the movie was great")));
    assertEquals(List.of(4), pllOnly.batchSizes);
  }

  @Test
  void priorPlausibilityRanksAndProbabilitiesMatchTheNaivePrefixPass() throws Exception {
    int k = 20;
    List<NaturalnessResult> results = new MaskedLmNaturalness(lm, 256).score(prompts(), k);
    for (int p = 0; p < prompts().size(); p++) {
      int[] z = prompts().get(p);
      double[][] expected = naive.prior(z);
      List<TokenScore> prior = results.get(p).prior();
      assertEquals(z.length, prior.size());
      int inTopK = 0;
      for (int t = 0; t < z.length; t++) {
        TokenScore s = prior.get(t);
        assertEquals(z[t], s.id());
        assertEquals(lm.tokenizer().token(z[t]), s.token());
        assertEquals(expected[t][0], s.logProb(), TOL);
        assertEquals((int) expected[t][1], s.rank());
        assertEquals(s.rank() <= k, s.inPriorTopK());
        inTopK += s.inPriorTopK() ? 1 : 0;
      }
      assertEquals((double) inTopK / z.length, results.get(p).priorTopKShare(), 1e-12);
    }
  }

  @Test
  void theArgmaxOfThePriorHasRankOne() throws Exception {
    // The token the LM prior likes best after [CLS] ranks 1; the one it likes least ranks |V|.
    float[] row = lm.logitsAt(List.of(new int[] {lm.clsId(), lm.maskId(), lm.sepId()}),
        new int[] {1})[0];
    int best = 0;
    int worst = 0;
    for (int i = 1; i < row.length; i++) {
      best = row[i] > row[best] ? i : best;
      worst = row[i] < row[worst] ? i : worst;
    }
    List<NaturalnessResult> r = new MaskedLmNaturalness(lm, 256).score(
        List.of(new int[] {best}, new int[] {worst}), 1);
    assertEquals(1, r.get(0).prior().get(0).rank());
    assertTrue(r.get(0).prior().get(0).inPriorTopK());
    assertEquals(lm.vocabSize(), r.get(1).prior().get(0).rank());
    assertEquals(0.0, r.get(1).priorTopKShare());
  }

  @Test
  void rejectsEmptyAndOverlongPrompts() {
    MaskedLmNaturalness scorer = new MaskedLmNaturalness(lm, 256);
    assertThrows(IllegalArgumentException.class, () -> scorer.score(List.of(new int[0]), 10));
    assertThrows(IllegalArgumentException.class,
        () -> scorer.score(List.of(new int[scorer.maxPromptTokens() + 1]), 10));
    assertThrows(IllegalArgumentException.class, () -> scorer.score(List.of(ids("a")), 0));
  }

  @Test
  void defaultPriorTopKFollowsSection42() {
    assertEquals(10_000, PriorTopK.defaultFor(50_257));
    assertEquals(6_104, PriorTopK.defaultFor(30_522));
    assertEquals(20, PriorTopK.defaultFor(100));
    assertEquals(1, PriorTopK.defaultFor(2));
  }
}
