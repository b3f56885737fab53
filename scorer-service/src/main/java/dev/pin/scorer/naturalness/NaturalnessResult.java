package dev.pin.scorer.naturalness;

import java.util.List;

/**
 * The naturalness of one prompt under one LM (ALGORITHMS.md §7.3).
 *
 * @param model store name of the scoring LM
 * @param tokenIds the prompt re-tokenised by that LM's tokenizer, without special tokens
 * @param pllTerms the scored log-probability terms, natural log: for a masked LM {@code log p(z_t
 *     | z_\t)} for every t (one position masked at a time); for a causal LM {@code log p(z_t |
 *     BOS, z_<t)} for every t, or {@code log p(z_t | z_<t)} for t ≥ 1 without BOS
 * @param pseudoLogLikelihood the sum of the terms: PLL for a masked LM, the log-likelihood for a
 *     causal one
 * @param pseudoPerplexity exp(−sum / number of terms): pseudo-perplexity or perplexity
 * @param prior each token's plausibility under the prior given its prefix (§4.2); for the causal
 *     convention without BOS the first token has none
 * @param priorTopK the k that {@link TokenScore#inPriorTopK()} was decided with
 * @param convention which formula produced the numbers
 */
public record NaturalnessResult(
    String model,
    int[] tokenIds,
    double[] pllTerms,
    double pseudoLogLikelihood,
    double pseudoPerplexity,
    List<TokenScore> prior,
    int priorTopK,
    Convention convention) {

  /** T, the number of tokens of the prompt. */
  public int numTokens() {
    return tokenIds.length;
  }

  /** Perplexity or pseudo-perplexity, as {@link #convention()} says. */
  public double perplexity() {
    return pseudoPerplexity;
  }

  /** Log-likelihood or pseudo-log-likelihood, as {@link #convention()} says. */
  public double logLikelihood() {
    return pseudoLogLikelihood;
  }

  /** Share of the tokens with a prior score whose rank is within the top-k. */
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
