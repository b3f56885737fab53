package dev.pin.reward.classification;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.reward.classification.ClassificationReward.ExampleResult;
import dev.pin.reward.classification.ClassificationReward.Multipliers;
import dev.pin.reward.classification.ClassificationReward.PromptResult;
import org.junit.jupiter.api.Test;

/** Hand-computed cases of the §6.1 gap reward. */
class ClassificationRewardTest {

  private static final float LN3 = (float) Math.log(3);

  @Test
  void softmaxOverVerbalizerLogitsOnly() {
    assertArrayEquals(
        new float[] {0.25f, 0.75f}, ClassificationReward.softmax(new float[] {0f, LN3}), 1e-6f);
    // Large logits stay finite (max subtracted first).
    float[] p = ClassificationReward.softmax(new float[] {1000f, 1000f});
    assertArrayEquals(new float[] {0.5f, 0.5f}, p, 1e-6f);
  }

  @Test
  void correctExampleGetsGapTimes200() {
    ExampleResult r =
        ClassificationReward.scoreExample(new float[] {0f, LN3}, 1, Multipliers.DEFAULT);
    assertEquals(0.5f, r.gap(), 1e-6f);
    assertTrue(r.correct());
    assertEquals(1, r.predicted());
    assertEquals(100f, r.reward(), 1e-4f);
  }

  @Test
  void wrongExampleGetsGapTimes180() {
    ExampleResult r =
        ClassificationReward.scoreExample(new float[] {0f, LN3}, 0, Multipliers.DEFAULT);
    assertEquals(-0.5f, r.gap(), 1e-6f);
    assertFalse(r.correct());
    assertEquals(1, r.predicted());
    assertEquals(-90f, r.reward(), 1e-4f);
  }

  @Test
  void tiesAreWrong() {
    ExampleResult r =
        ClassificationReward.scoreExample(new float[] {2f, 2f}, 0, Multipliers.DEFAULT);
    assertEquals(0f, r.gap(), 0f);
    assertFalse(r.correct());
    assertEquals(0, r.predicted());
    assertEquals(0f, r.reward(), 0f);
  }

  @Test
  void multiClassGapUsesTheBestOtherClass() {
    // p = (1, 2, 5)/8 = 0.125, 0.25, 0.625.
    float[] logits = {0f, (float) Math.log(2), (float) Math.log(5)};
    ExampleResult wrong = ClassificationReward.scoreExample(logits, 1, Multipliers.DEFAULT);
    assertEquals(0.25f - 0.625f, wrong.gap(), 1e-6f);
    assertEquals(-0.375f * 180f, wrong.reward(), 1e-3f);
    ExampleResult right = ClassificationReward.scoreExample(logits, 2, Multipliers.DEFAULT);
    assertEquals(0.375f, right.gap(), 1e-6f);
    assertEquals(75f, right.reward(), 1e-3f);
    assertEquals(2, right.predicted());
  }

  @Test
  void promptRewardIsTheMeanAndAccuracyCountsCorrect() {
    float[][] logits = {{0f, LN3}, {0f, LN3}, {LN3, 0f}, {1f, 1f}};
    int[] labels = {1, 0, 0, 1};
    PromptResult r = ClassificationReward.scorePrompt(logits, labels, Multipliers.DEFAULT);
    // rewards: 100, -90, 100, 0 -> mean 27.5; correct: 2 of 4.
    assertEquals(27.5f, r.reward(), 1e-4f);
    assertEquals(0.5f, r.accuracy(), 0f);
    // The tie {1, 1} with label 1 predicts class 0: wrong either way. A tie with label 0 differs.
    assertEquals(0.5f, r.argmaxAccuracy(), 0f);
    PromptResult tie =
        ClassificationReward.scorePrompt(
            new float[][] {{1f, 1f}}, new int[] {0}, Multipliers.DEFAULT);
    assertEquals(0f, tie.accuracy(), 0f);
    assertEquals(1f, tie.argmaxAccuracy(), 0f);
    assertEquals(4, r.examples().size());
  }

  @Test
  void multipliersAreConfigurableAndZeroMeansDefault() {
    Multipliers m = Multipliers.orDefault(10f, 0f);
    assertEquals(10f, m.correct());
    assertEquals(180f, m.incorrect());
    ExampleResult r = ClassificationReward.scoreExample(new float[] {0f, LN3}, 1, m);
    assertEquals(5f, r.reward(), 1e-5f);
  }

  @Test
  void rejectsBadInput() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ClassificationReward.scoreExample(new float[] {1f, 2f}, 2, Multipliers.DEFAULT));
    assertThrows(
        IllegalArgumentException.class,
        () -> ClassificationReward.scoreExample(new float[] {1f}, 0, Multipliers.DEFAULT));
    assertThrows(
        IllegalArgumentException.class,
        () -> ClassificationReward.scorePrompt(new float[0][], new int[0], Multipliers.DEFAULT));
  }
}
