package dev.pin.scorer.naturalness;

import java.util.List;

/**
 * The naturalness of one prompt under one masked LM (ALGORITHMS.md §7.3).
 *
 * @param model store name of the scoring LM
 * @param tokenIds the prompt re-tokenised by that LM's tokenizer, without {@code [CLS]/[SEP]}
 * @param pllTerms {@code log p(z_t | z_\t)} for each position t, masking one position at a time
 * @param pseudoLogLikelihood PLL(z) = Σ_t pllTerms[t]
 * @param pseudoPerplexity exp(−PLL/T)
 * @param prior each token's plausibility under the prefix prior (§4.2)
 * @param priorTopK the k that {@link TokenScore#inPriorTopK()} was decided with
 */
public record NaturalnessResult(
    String model,
    int[] tokenIds,
    double[] pllTerms,
    double pseudoLogLikelihood,
    double pseudoPerplexity,
    List<TokenScore> prior,
    int priorTopK) {

  /** T, the number of tokens scored. */
  public int numTokens() {
    return tokenIds.length;
  }

  /** Share of tokens whose prior rank is within the top-k. */
  public double priorTopKShare() {
    int in = 0;
    for (TokenScore s : prior) {
      if (s.inPriorTopK()) {
        in++;
      }
    }
    return prior.isEmpty() ? Double.NaN : (double) in / prior.size();
  }
}
