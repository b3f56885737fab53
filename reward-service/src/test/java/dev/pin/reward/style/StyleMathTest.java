package dev.pin.reward.style;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of the §6.2 style-transfer math. */
class StyleMathTest {

  @Test
  void cutsAtTheClosingQuoteThenAfterTheFirstSentenceMark() {
    assertEquals(
        "the food was great!", StyleOutputs.cut(" The food was GREAT! And cheap. \" said"));
    assertEquals("i loved it.", StyleOutputs.cut("I loved it. \"\n\"Another"));
    assertEquals("really?", StyleOutputs.cut("really? yes. \""));
    assertEquals("no punctuation here", StyleOutputs.cut("No punctuation here\" tail."));
    assertEquals("no quote at all", StyleOutputs.cut("  No quote at all  "));
    assertEquals("", StyleOutputs.cut("\" starts with a quote"));
  }

  @Test
  void newTokenBudgetIsMaxOfOnePointFiveNAndNPlusTen() {
    assertEquals(10, StyleOutputs.maxNewTokens(0, 0));
    assertEquals(18, StyleOutputs.maxNewTokens(8, 0)); // max(12, 18)
    assertEquals(30, StyleOutputs.maxNewTokens(20, 0)); // max(30, 30)
    assertEquals(37, StyleOutputs.maxNewTokens(25, 0)); // max(37, 35)
    assertEquals(16, StyleOutputs.maxNewTokens(25, 16)); // capped
    assertEquals(18, StyleOutputs.maxNewTokens(8, 100)); // cap above the rule
  }

  @Test
  void sampleRewardIsTheMeanOfContentAndStyle() {
    assertEquals(0f, StyleReward.content(-0.3f));
    assertEquals(62.5f, StyleReward.content(0.625f), 1e-5f);
    assertEquals(90f, StyleReward.style(0.9f), 1e-5f);
    assertEquals(76.25f, StyleReward.sampleReward(62.5f, 90f), 1e-5f);
  }

  @Test
  void groupMaxAverage() {
    assertEquals(
        16f / 3f, StyleReward.groupMaxAverage(new float[] {1, 5, 2, 7, 0, 3, 4}, 3), 1e-6f);
    assertEquals(6f, StyleReward.groupMaxAverage(new float[] {1, 5, 2, 7}, 2), 1e-6f);
    assertEquals(7f, StyleReward.groupMaxAverage(new float[] {1, 5, 2, 7}, 32), 1e-6f);
    assertEquals(3, StyleReward.best(new float[] {1, 5, 2, 7, 7}));
    assertThrows(
        IllegalArgumentException.class, () -> StyleReward.groupMaxAverage(new float[0], 32));
  }

  @Test
  void bertScoreGreedyCosineMatching() {
    BertScore.Score s = BertScore.score(new float[][] {{1, 0}, {0, 1}}, new float[][] {{1, 0}});
    assertEquals(0.5f, s.precision(), 1e-6f);
    assertEquals(1f, s.recall(), 1e-6f);
    assertEquals(2f / 3f, s.f1(), 1e-6f);
    // Special tokens masked out: only the matching token remains.
    BertScore.Score masked =
        BertScore.score(
            new float[][] {{1, 0}, {0, 1}},
            new boolean[] {true, false},
            new float[][] {{1, 0}},
            null);
    assertEquals(1f, masked.f1(), 1e-6f);
    // Cosine, not dot product: (2,0)·(3,4)/(2·5) = 0.6.
    assertEquals(0.6f, BertScore.score(new float[][] {{2, 0}}, new float[][] {{3, 4}}).f1(), 1e-6f);
    // Recall takes each reference token's best candidate: ref (0,1) best matches cand (0.6,0.8).
    BertScore.Score r = BertScore.score(new float[][] {{1, 0}, {3, 4}}, new float[][] {{0, 1}});
    assertEquals(0.8f, r.recall(), 1e-6f);
    assertEquals((0f + 0.8f) / 2f, r.precision(), 1e-6f);
    assertEquals(0f, BertScore.score(new float[0][], new float[][] {{1, 0}}).f1());
  }

  @Test
  void bertScoreBaselineRescaling() {
    BertScore.Score raw = new BertScore.Score(0.9f, 0.85f, 0.87f);
    BertScore.Score r = BertScore.rescale(raw, new float[] {0.8f, 0.8f, 0.8f});
    assertEquals(0.5f, r.precision(), 1e-5f); // (0.9 - 0.8)/0.2
    assertEquals(0.25f, r.recall(), 1e-5f);
    assertEquals(0.35f, r.f1(), 1e-5f); // F rescaled on its own, not recomputed
    assertEquals(
        0f,
        StyleReward.content(
            BertScore.rescale(new BertScore.Score(0.7f, 0.7f, 0.7f), new float[] {0.8f, 0.8f, 0.8f})
                .f1()));
  }

  @Test
  void tokenize13aLikeSacrebleu() {
    assertEquals(
        "Hello , world ! It's 3.5 - 4 ( ok ) .",
        Bleu.tokenize13a("Hello, world! It's 3.5-4 (ok)."));
    assertEquals("a & b \" c", Bleu.tokenize13a("a &amp; b &quot; c"));
    assertEquals("1,000.5 items , priced", Bleu.tokenize13a("1,000.5 items, priced"));
  }

  @Test
  void corpusBleuHandComputed() {
    assertEquals(
        100.0,
        Bleu.corpus(List.of("the cat sat on the mat"), List.of(List.of("the cat sat on the mat")))
            .score(),
        1e-9);
    // Precisions 5/6, 3/5, 2/4, 1/3, no brevity penalty: 100·(1/12)^(1/4).
    Bleu.Score s =
        Bleu.corpus(List.of("the cat sat on the mat"), List.of(List.of("the cat sat on a mat")));
    assertEquals(53.7284965911771, s.score(), 1e-9);
    assertEquals(100.0 * 5 / 6, s.precisions()[0], 1e-9);
    // 4-grams: 0 of 2 match -> exp smoothing 100/(2·2) = 25; BP = exp(1 - 6/5); 0.8187·50.
    Bleu.Score smoothed =
        Bleu.corpus(List.of("the cat on the mat"), List.of(List.of("the cat sat on the mat")));
    assertEquals(25.0, smoothed.precisions()[3], 1e-9);
    assertEquals(40.936537653899094, smoothed.score(), 1e-9);
  }

  @Test
  void multipleReferencesClipByTheirMaxCountAndUseTheClosestLength() {
    // "the the the" vs refs with 1 and 2 "the": clip 2/3. Closest lengths 2 and 4 to 3 -> 2.
    Bleu.Score s =
        Bleu.corpus(List.of("the the the"), List.of(List.of("the cat", "the the cat dog")));
    assertEquals(100.0 * 2 / 3, s.precisions()[0], 1e-9);
    assertEquals(2, s.referenceLength());
  }

  @Test
  void sentenceBleuUsesTheEffectiveOrder() {
    // Corpus BLEU of a 2-token output has no 3-grams: 0. Sentence BLEU uses orders 1-2 only.
    assertEquals(
        0.0,
        Bleu.corpus(List.of("the cat"), List.of(List.of("the cat sat on the mat"))).score(),
        1e-9);
    assertEquals(
        13.53352832366127,
        Bleu.sentence("the cat", List.of("the cat sat on the mat")).score(),
        1e-9);
    assertEquals(0.0, Bleu.sentence("dog", List.of("the cat")).score(), 0.0);
  }

  @Test
  void jAndGeometricMean() {
    List<StyleMetrics.Sentence> s =
        List.of(
            new StyleMetrics.Sentence(80, true, true),
            new StyleMetrics.Sentence(60, false, true),
            new StyleMetrics.Sentence(90, true, false),
            new StyleMetrics.Sentence(50, true, true));
    StyleMetrics.Corpus c = StyleMetrics.compute(s, true);
    assertEquals(70f, c.content(), 1e-5f);
    assertEquals(75f, c.style(), 1e-5f);
    assertEquals(75f, c.fluency(), 1e-5f);
    assertEquals(32.5f, c.j(), 1e-5f); // (80 + 0 + 0 + 50)/4
    assertEquals(73.29486f, c.gm(), 1e-4f); // cbrt(70·75·75)
    StyleMetrics.Corpus noFluency = StyleMetrics.compute(s, false);
    assertEquals(55f, noFluency.j(), 1e-5f); // (80 + 90 + 50)/4
    assertEquals(72.45688f, noFluency.gm(), 1e-4f); // sqrt(70·75)
    assertTrue(Float.isNaN(noFluency.fluency()));
  }
}
