package dev.pin.scorer.naturalness;

/** The default k of the LM-prior top-k (ALGORITHMS.md §4.2). */
public final class PriorTopK {
  /** PIN's k for GPT-2/OPT-sized vocabularies (~50 000 tokens). */
  public static final int PIN_K = 10_000;

  private PriorTopK() {}

  /**
   * §4.2: k = 10 000 of ~50 000, "with smaller vocabularies scale k to about 20 % of |V|"; so
   * min(10 000, round(0.2·|V|)), at least 1. BERT's 30 522 tokens give 6 104.
   */
  public static int defaultFor(int vocabSize) {
    return Math.max(1, Math.min(PIN_K, (int) Math.round(0.2 * vocabSize)));
  }
}
