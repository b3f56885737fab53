package dev.pin.scorer.report;

/**
 * The readability and faithfulness columns of one report row (definitions in the scorer-service
 * README).
 *
 * @param pseudoPerplexity exp(−PLL/T) under the report's model
 * @param dictionaryWordShare share of whole dictionary words
 * @param priorTopKShare share of tokens inside the LM prior's top-k
 * @param repetition share of tokens repeating an earlier token
 * @param roundTripAgreement 1 or 0 when the run has a task handle and the prompt token ids, NaN
 *     otherwise
 * @param textVsIdsRewardGap R(text) − R(ids) on the run's task, NaN when not measured
 */
public record ReadabilityRow(double pseudoPerplexity, double dictionaryWordShare,
    double priorTopKShare, double repetition, double roundTripAgreement,
    double textVsIdsRewardGap) {

  /** A row without faithfulness (its run has no task handle). */
  public ReadabilityRow(double pseudoPerplexity, double dictionaryWordShare,
      double priorTopKShare, double repetition) {
    this(pseudoPerplexity, dictionaryWordShare, priorTopKShare, repetition, Double.NaN,
        Double.NaN);
  }

  /** This row with the faithfulness columns filled in. */
  public ReadabilityRow withFaithfulness(double roundTrip, double gap) {
    return new ReadabilityRow(pseudoPerplexity, dictionaryWordShare, priorTopKShare, repetition,
        roundTrip, gap);
  }
}
