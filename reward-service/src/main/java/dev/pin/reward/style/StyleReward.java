package dev.pin.reward.style;

/**
 * The style-transfer training reward (§6.2). Per sample y of input x: {@code Content = 100·max(0,
 * BERTScore-F1(y, x))}, {@code Style = 100·P(target | y)}, reward {@code (Content + Style)/2}. Per
 * (prompt, x): the maximum of each group of {@code groupSize} consecutive samples, averaged over
 * the groups (paper: 128 samples = 4 groups × 32).
 */
public final class StyleReward {
  private StyleReward() {}

  /**
   * Content score from BERTScore-F1.
   *
   * @param bertScoreF1 F1 in [-1, 1]
   * @return {@code 100·max(0, f1)}
   */
  public static float content(float bertScoreF1) {
    return 100f * Math.max(0f, bertScoreF1);
  }

  /**
   * Style score from the classifier.
   *
   * @param targetProbability P(target style | y)
   * @return {@code 100·p}
   */
  public static float style(float targetProbability) {
    return 100f * targetProbability;
  }

  /**
   * One sample's reward.
   *
   * @param content Content in [0, 100]
   * @param style Style in [0, 100]
   * @return {@code (content + style)/2}
   */
  public static float sampleReward(float content, float style) {
    return (content + style) / 2f;
  }

  /**
   * Mean of group maxima. Samples are grouped in order; a final partial group (when the count is
   * not a multiple of the group size) counts as one group.
   *
   * @param rewards sample rewards in sampling order
   * @param groupSize samples per group (≥ 1)
   * @return the mean of the groups' maxima
   */
  public static float groupMaxAverage(float[] rewards, int groupSize) {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    if (rewards.length == 0) {
      throw new IllegalArgumentException("no samples");
    }
    double sum = 0;
    int groups = 0;
    for (int start = 0; start < rewards.length; start += groupSize) {
      float max = Float.NEGATIVE_INFINITY;
      for (int i = start; i < Math.min(rewards.length, start + groupSize); i++) {
        max = Math.max(max, rewards[i]);
      }
      sum += max;
      groups++;
    }
    return (float) (sum / groups);
  }

  /**
   * Index of the best sample (first on ties), for StyleDetail.best_output.
   *
   * @param rewards sample rewards
   * @return the argmax
   */
  public static int best(float[] rewards) {
    int best = 0;
    for (int i = 1; i < rewards.length; i++) {
      if (rewards[i] > rewards[best]) {
        best = i;
      }
    }
    return best;
  }
}
