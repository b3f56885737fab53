package dev.pin.scorer.naturalness;

/**
 * Which formula produced a naturalness number (ALGORITHMS.md §7.3: "always record which LM and
 * which convention (BOS or not) produced a number").
 */
public enum Convention {
  /** Masked LM: pseudo-perplexity {@code exp(−PLL/T)}, each position masked in turn. */
  MASKED_PSEUDO_PPL("masked-LM pseudo-perplexity exp(-PLL/T) (Salazar et al. 2020)"),
  /** Causal LM: {@code exp(−(1/T) Σ_t log p(z_t | BOS, z_<t))}, all T tokens scored. */
  CAUSAL_PPL_BOS("causal perplexity exp(-(1/T) sum_t log p(z_t | BOS, z_<t))"),
  /**
   * Causal LM without BOS: the first token has no context and is not scored, so the mean runs
   * over the T − 1 tokens {@code z_1 … z_{T-1}}.
   */
  CAUSAL_PPL_NO_BOS("causal perplexity without BOS exp(-(1/(T-1)) sum_{t>=1} log p(z_t | z_<t))");

  private final String description;

  Convention(String description) {
    this.description = description;
  }

  /** A one-line formula, as the report's provenance line prints it. */
  public String description() {
    return description;
  }

  /** Whether this convention needs a causal LM. */
  public boolean causal() {
    return this != MASKED_PSEUDO_PPL;
  }
}
