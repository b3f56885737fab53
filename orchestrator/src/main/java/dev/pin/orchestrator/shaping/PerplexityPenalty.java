package dev.pin.orchestrator.shaping;

import dev.pin.v1.PenaltyFunction;

/**
 * Perplexity regularisation of the task reward, {@code R′ = R − λ·g(PPL(z))} with g the identity or
 * the natural log (ALGORITHMS.md §7.2, Patel et al. 2025). It applies to the raw task reward,
 * before z-scoring and shaping ({@link RewardShaper}), so the penalty competes with the task reward
 * on its own scale.
 *
 * @param lambda λ ≥ 0; 0 turns the penalty off
 * @param function g; unspecified means identity
 */
public record PerplexityPenalty(double lambda, PenaltyFunction function) {

  /** Checks λ. */
  public PerplexityPenalty {
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("lambda must be 0 or a positive number, got " + lambda);
    }
  }

  /** The penalty of a spec's {@code shaping.perplexity_penalty}. */
  public static PerplexityPenalty of(dev.pin.v1.PerplexityPenalty p) {
    return new PerplexityPenalty(p.getLambda(), p.getFunction());
  }

  /** Whether the penalty changes anything (λ > 0). */
  public boolean enabled() {
    return lambda > 0;
  }

  /** g(PPL): identity or natural log. */
  public double g(double perplexity) {
    if (!(perplexity > 0) || Double.isInfinite(perplexity)) {
      throw new IllegalArgumentException(
          "perplexity must be a positive finite number, got " + perplexity);
    }
    return function == PenaltyFunction.PENALTY_FUNCTION_LOG ? Math.log(perplexity) : perplexity;
  }

  /** {@code R − λ·g(PPL)}; returns R unchanged when λ = 0 (perplexity need not be computed). */
  public double apply(double reward, double perplexity) {
    return lambda == 0 ? reward : reward - lambda * g(perplexity);
  }

  /** {@link #apply} element-wise. */
  public double[] apply(double[] rewards, double[] perplexities) {
    if (rewards.length != perplexities.length) {
      throw new IllegalArgumentException(
          "need one perplexity per reward: "
              + rewards.length
              + " rewards, "
              + perplexities.length
              + " perplexities");
    }
    double[] out = new double[rewards.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = apply(rewards[i], perplexities[i]);
    }
    return out;
  }
}
