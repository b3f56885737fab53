package dev.pin.orchestrator.shaping;

import dev.pin.v1.StepMetrics;

/** The reward fields of a step's {@link StepMetrics}: raw mean, max, min and the shaped mean. */
public final class RewardStats {
  private RewardStats() {}

  /**
   * Fills the reward fields of step metrics.
   *
   * @param raw the step's task rewards r (after any perplexity penalty), not empty
   * @param shaped the shaped rewards r′ the policy received
   * @return a builder with reward_mean, reward_max, reward_min and shaped_reward_mean set
   */
  public static StepMetrics.Builder summarize(double[] raw, double[] shaped) {
    if (raw.length == 0) {
      throw new IllegalArgumentException("a step needs at least one reward");
    }
    double sum = 0;
    double max = Double.NEGATIVE_INFINITY;
    double min = Double.POSITIVE_INFINITY;
    for (double r : raw) {
      sum += r;
      max = Math.max(max, r);
      min = Math.min(min, r);
    }
    double shapedSum = 0;
    for (double r : shaped) {
      shapedSum += r;
    }
    return StepMetrics.newBuilder()
        .setRewardMean(sum / raw.length)
        .setRewardMax(max)
        .setRewardMin(min)
        .setShapedRewardMean(shaped.length == 0 ? 0 : shapedSum / shaped.length);
  }
}
