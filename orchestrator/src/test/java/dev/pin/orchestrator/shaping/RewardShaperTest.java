package dev.pin.orchestrator.shaping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.RewardShaping;
import dev.pin.v1.ZScore;
import org.junit.jupiter.api.Test;

class RewardShaperTest {
  private static final double EPS = 1e-12;

  @Test
  void zScoreUsesPopulationStdPlusEpsilon() {
    // r = (1, 2, 3, 4): mean 2.5, population variance (2.25+0.25+0.25+2.25)/4 = 1.25.
    double std = Math.sqrt(1.25);
    double[] z = RewardShaper.zScore(new double[] {1, 2, 3, 4});
    assertArrayEquals(
        new double[] {
          -1.5 / (std + 1e-4), -0.5 / (std + 1e-4), 0.5 / (std + 1e-4), 1.5 / (std + 1e-4)
        },
        z,
        EPS);
    // With the sample std (n−1) the first value would be −1.5/1.29099 = −1.1619; population gives
    // −1.5/1.11813 = −1.34153.
    assertEquals(-1.341520, z[0], 1e-6);
  }

  @Test
  void constantRewardsGiveZero() {
    assertArrayEquals(new double[] {0, 0, 0}, RewardShaper.zScore(new double[] {7, 7, 7}), EPS);
    assertArrayEquals(new double[] {}, RewardShaper.zScore(new double[] {}), EPS);
  }

  @Test
  void rlpromptClassificationIsFiveZ() {
    RewardShaper s =
        RewardShaper.of(
            RewardShaping.newBuilder().setZScore(ZScore.Z_SCORE_ON).setScale(5).build());
    // r = (10, 30): mean 20, std 10 → z = ∓10/10.0001.
    double z = 10 / 10.0001;
    assertArrayEquals(new double[] {-5 * z, 5 * z}, s.shape(new double[] {10, 30}), EPS);
  }

  @Test
  void rlpromptStyleIsHundredZMinusTwentyPerSourceSentence() {
    RewardShaper s = new RewardShaper(true, 100, -20);
    // Two source sentences (ids 4 and 9), two samples each, interleaved.
    double[] r = {50, 80, 60, 80};
    int[] groups = {4, 9, 4, 9};
    // Group 4: (50, 60) mean 55 std 5 → z = ∓5/5.0001. Group 9: constant → z = 0.
    double z = 5 / 5.0001;
    assertArrayEquals(
        new double[] {-100 * z - 20, -20, 100 * z - 20, -20}, s.shape(r, groups), EPS);
  }

  @Test
  void pinIsPlainZAndImageInversionIsTheRawReward() {
    RewardShaper pin = RewardShaper.of(RewardShaping.getDefaultInstance());
    assertArrayEquals(
        RewardShaper.zScore(new double[] {0.1, 0.4}), pin.shape(new double[] {0.1, 0.4}), EPS);
    RewardShaper image =
        RewardShaper.of(
            RewardShaping.newBuilder().setZScore(ZScore.Z_SCORE_OFF).setScale(1).build());
    assertArrayEquals(new double[] {0.31, 0.27}, image.shape(new double[] {0.31, 0.27}), EPS);
  }

  @Test
  void paperFormOfTheLinearMap() {
    // Map [−1, 1] onto [0, 10]: scale 5, shift 5.
    RewardShaper s = RewardShaper.linearFromRanges(false, -1, 1, 0, 10);
    assertEquals(5, s.scale(), EPS);
    assertEquals(5, s.shift(), EPS);
    assertArrayEquals(new double[] {0, 5, 10}, s.shape(new double[] {-1, 0, 1}), EPS);
  }

  @Test
  void rejectsBadInput() {
    RewardShaper s = new RewardShaper(true, 1, 0);
    assertThrows(IllegalArgumentException.class, () -> s.shape(new double[] {1, Double.NaN}));
    assertThrows(IllegalArgumentException.class, () -> s.shape(new double[] {1, 2}, new int[] {1}));
    assertThrows(IllegalArgumentException.class, () -> new RewardShaper(true, Double.NaN, 0));
  }

  @Test
  void perplexityPenalty() {
    PerplexityPenalty identity =
        new PerplexityPenalty(0.5, PenaltyFunction.PENALTY_FUNCTION_IDENTITY);
    assertEquals(100 - 0.5 * 40, identity.apply(100, 40), EPS);
    PerplexityPenalty unspecified =
        new PerplexityPenalty(0.5, PenaltyFunction.PENALTY_FUNCTION_UNSPECIFIED);
    assertEquals(80, unspecified.apply(100, 40), EPS);
    PerplexityPenalty log = new PerplexityPenalty(2, PenaltyFunction.PENALTY_FUNCTION_LOG);
    // ln(e³) = 3 → 10 − 2·3 = 4.
    assertEquals(4, log.apply(10, Math.exp(3)), 1e-9);
    assertArrayEquals(
        new double[] {10 - 2 * Math.log(20), 5},
        log.apply(new double[] {10, 5}, new double[] {20, 1}),
        EPS);
    PerplexityPenalty off = new PerplexityPenalty(0, PenaltyFunction.PENALTY_FUNCTION_LOG);
    assertEquals(10, off.apply(10, Double.NaN), EPS);
    assertThrows(IllegalArgumentException.class, () -> log.apply(1, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PerplexityPenalty(-1, PenaltyFunction.PENALTY_FUNCTION_LOG));
  }

  @Test
  void rewardStatsForStepMetrics() {
    dev.pin.v1.StepMetrics m =
        RewardStats.summarize(new double[] {2, 8, 5}, new double[] {-1, 1, 0.5}).build();
    assertEquals(5, m.getRewardMean(), EPS);
    assertEquals(8, m.getRewardMax(), EPS);
    assertEquals(2, m.getRewardMin(), EPS);
    assertEquals(0.5 / 3, m.getShapedRewardMean(), EPS);
    assertThrows(
        IllegalArgumentException.class,
        () -> RewardStats.summarize(new double[] {}, new double[] {}));
  }
}
