package dev.pin.scorer.naturalness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.testing.RealModels;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Naturalness under the real BERT-base-uncased (skipped unless it is imported:
 * {@code pin models import bert-base-uncased}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BertBaseNaturalnessTest {
  private MaskedLmNaturalness scorer;

  @BeforeAll
  void open() throws Exception {
    scorer = new MaskedLmNaturalness(new OrtMaskedScoringLm(
        MaskedLm.open(RealModels.assumeBertBase(), OrtConfig.cpu(2))), 256);
  }

  @Test
  void fluentEnglishHasFarLowerPseudoPerplexityThanTheSameWordsShuffled() throws Exception {
    String fluent = "the cat sat on the mat and looked out of the window .";
    String shuffled = "window the . mat looked of out sat the on and cat the";
    int[] a = scorer.tokenize(fluent);
    int[] b = scorer.tokenize(shuffled);
    int[] sortedA = a.clone();
    int[] sortedB = b.clone();
    Arrays.sort(sortedA);
    Arrays.sort(sortedB);
    assertArrayEquals(sortedA, sortedB, "same tokens, different order");
    List<NaturalnessResult> r = scorer.score(List.of(a, b), PriorTopK.defaultFor(30_522));
    double pppFluent = r.get(0).pseudoPerplexity();
    double pppShuffled = r.get(1).pseudoPerplexity();
    System.out.printf("BERT-base pseudo-perplexity: fluent %.2f, shuffled %.2f (×%.1f)%n",
        pppFluent, pppShuffled, pppShuffled / pppFluent);
    assertTrue(pppFluent < 10, "fluent " + pppFluent);
    assertTrue(pppShuffled > 10 * pppFluent, pppShuffled + " vs " + pppFluent);
    assertTrue(r.get(0).priorTopKShare() > r.get(1).priorTopKShare());
  }

  @Test
  void batchedEqualsNaiveOnBertBase() throws Exception {
    int[] z = scorer.tokenize("absolutely terrible review");
    NaturalnessResult r = scorer.score(List.of(z), 6104).get(0);
    NaiveNaturalness naive = new NaiveNaturalness(scorer.lm());
    assertArrayEquals(naive.pllTerms(z), r.pllTerms(), 1e-3);
    double[][] prior = naive.prior(z);
    for (int t = 0; t < z.length; t++) {
      assertEquals((int) prior[t][1], r.prior().get(t).rank());
    }
  }

  @Test
  void thePriorRanksThePlausibleContinuationHigh() throws Exception {
    // MODELS.md's sanity check seen through the prefix prior [CLS] … is [MASK] [SEP]: with no
    // closing "." the prior spreads over punctuation too, so "paris" is near the top, not first;
    // an unrelated noun is far below it.
    int[] paris = scorer.tokenize("the capital of france is paris");
    int[] fridge = scorer.tokenize("the capital of france is refrigerator");
    assertEquals(paris.length, fridge.length, "refrigerator is one token");
    List<NaturalnessResult> r = scorer.score(List.of(paris, fridge), 6104);
    TokenScore p = r.get(0).prior().get(paris.length - 1);
    TokenScore f = r.get(1).prior().get(fridge.length - 1);
    System.out.printf("prior rank of paris %d (log p %.2f), refrigerator %d (log p %.2f)%n",
        p.rank(), p.logProb(), f.rank(), f.logProb());
    assertEquals("paris", p.token());
    assertTrue(p.rank() <= 20, "paris rank " + p.rank());
    assertTrue(p.inPriorTopK());
    assertTrue(f.rank() > 10 * p.rank(), "refrigerator rank " + f.rank());
    assertTrue(r.get(0).pseudoPerplexity() < r.get(1).pseudoPerplexity());
  }
}
