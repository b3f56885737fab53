package dev.pin.scorer.report;

/**
 * The readability columns of one report row (definitions in the scorer-service README).
 *
 * @param pseudoPerplexity exp(−PLL/T) under the report's model
 * @param dictionaryWordShare share of whole dictionary words
 * @param priorTopKShare share of tokens inside the LM prior's top-k
 * @param repetition share of tokens repeating an earlier token
 */
public record ReadabilityRow(double pseudoPerplexity, double dictionaryWordShare,
    double priorTopKShare, double repetition) {}
