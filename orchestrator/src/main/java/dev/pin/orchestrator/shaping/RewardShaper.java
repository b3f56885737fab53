package dev.pin.orchestrator.shaping;

import dev.pin.v1.RewardShaping;
import dev.pin.v1.ZScore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a step's raw task rewards into the shaped rewards r′ the policy trains on (ALGORITHMS.md
 * §5): optional z-score {@code r̃ = (r − mean)/(std + 1e-4)} with the population standard
 * deviation, then {@code r′ = scale·r̃ + shift}. The paper writes the linear map as {@code (r̃ −
 * a)/(b − a)·(d − c) + c}; {@link #linearFromRanges} converts that form.
 *
 * <p>Defaults per (method, task) are filled by {@code RunDefaults}: RLPrompt classification 5·z,
 * RLPrompt style 100·z − 20, PIN z, image inversion the raw reward (no z-score, scale 1).
 *
 * @param zScore whether to z-score before the linear map
 * @param scale multiplier of r̃
 * @param shift added after scaling
 */
public record RewardShaper(boolean zScore, double scale, double shift) {
  /** The ε added to the standard deviation (§5). */
  public static final double STD_EPSILON = 1e-4;

  /** Rejects a scale or shift that would make every reward NaN or infinite. */
  public RewardShaper {
    if (!Double.isFinite(scale) || !Double.isFinite(shift)) {
      throw new IllegalArgumentException(
          "scale and shift must be finite, got " + scale + ", " + shift);
    }
  }

  /**
   * The shaper of an effective spec's {@code shaping} (after {@code RunDefaults}); an unspecified
   * z-score is taken as on and a zero scale as 1, the values for PIN classification.
   */
  public static RewardShaper of(RewardShaping shaping) {
    boolean z = shaping.getZScore() != ZScore.Z_SCORE_OFF;
    double scale = shaping.getScale() == 0 ? 1.0 : shaping.getScale();
    return new RewardShaper(z, scale, shaping.getShift());
  }

  /**
   * Shapes rewards that are all comparable with each other: classification, where every prompt of
   * the step is scored on the same training examples, and image inversion.
   *
   * @param rewards raw rewards r, one per prompt
   * @return shaped rewards r′ in the same order
   */
  public double[] shape(double[] rewards) {
    double[] z = zScore ? zScore(rewards) : rewards.clone();
    for (int i = 0; i < z.length; i++) {
      z[i] = scale * z[i] + shift;
    }
    return z;
  }

  /**
   * Shapes rewards z-scored within groups: style transfer, where each reward belongs to one source
   * sentence and only rewards of the same sentence are comparable.
   *
   * @param rewards raw rewards r, one per (prompt, source sentence) sample
   * @param groups the group (source sentence) of each reward, any integer ids
   * @return shaped rewards r′ in the same order
   */
  public double[] shape(double[] rewards, int[] groups) {
    double[] z = zScore ? zScoreGrouped(rewards, groups) : rewards.clone();
    for (int i = 0; i < z.length; i++) {
      z[i] = scale * z[i] + shift;
    }
    return z;
  }

  /**
   * {@code (r − mean)/(std + 1e-4)} over all values, with the population standard deviation (the
   * papers' code used {@code torch.std(unbiased=False)}-equivalent statistics).
   */
  public static double[] zScore(double[] r) {
    requireFinite(r);
    double[] out = new double[r.length];
    if (r.length == 0) {
      return out;
    }
    double mean = 0;
    for (double v : r) {
      mean += v;
    }
    mean /= r.length;
    double var = 0;
    for (double v : r) {
      var += (v - mean) * (v - mean);
    }
    double std = Math.sqrt(var / r.length);
    for (int i = 0; i < r.length; i++) {
      out[i] = (r[i] - mean) / (std + STD_EPSILON);
    }
    return out;
  }

  /** {@link #zScore} computed separately within each group of equal ids. */
  public static double[] zScoreGrouped(double[] r, int[] groups) {
    if (r.length != groups.length) {
      throw new IllegalArgumentException(
          "need one group id per reward: " + r.length + " rewards, " + groups.length + " ids");
    }
    requireFinite(r);
    Map<Integer, List<Integer>> members = new HashMap<>();
    for (int i = 0; i < r.length; i++) {
      members.computeIfAbsent(groups[i], k -> new java.util.ArrayList<>()).add(i);
    }
    double[] out = new double[r.length];
    for (List<Integer> idx : members.values()) {
      double[] g = new double[idx.size()];
      for (int j = 0; j < g.length; j++) {
        g[j] = r[idx.get(j)];
      }
      double[] z = zScore(g);
      for (int j = 0; j < g.length; j++) {
        out[idx.get(j)] = z[j];
      }
    }
    return out;
  }

  /**
   * The shaper for the paper's form {@code r′ = (r̃ − a)/(b − a)·(d − c) + c}, which maps the
   * interval [a, b] onto [c, d].
   */
  public static RewardShaper linearFromRanges(
      boolean zScore, double a, double b, double c, double d) {
    if (a == b) {
      throw new IllegalArgumentException("a and b must differ, both are " + a);
    }
    double scale = (d - c) / (b - a);
    return new RewardShaper(zScore, scale, c - a * scale);
  }

  private static void requireFinite(double[] r) {
    for (int i = 0; i < r.length; i++) {
      if (!Double.isFinite(r[i])) {
        throw new IllegalArgumentException("reward " + i + " is not a finite number: " + r[i]);
      }
    }
  }
}
