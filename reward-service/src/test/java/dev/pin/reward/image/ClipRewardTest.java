package dev.pin.reward.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClipRewardTest {

  @Test
  void cosineIgnoresScale() {
    assertEquals(0.6f, ClipReward.cosine(new float[] {2, 0}, new float[] {3, 4}), 1e-6f);
    assertEquals(-1f, ClipReward.cosine(new float[] {1, 1}, new float[] {-2, -2}), 1e-6f);
    assertEquals(0f, ClipReward.cosine(new float[] {0, 0}, new float[] {1, 0}), 0f);
    assertArrayEquals(new float[] {0.6f, 0.8f}, ClipReward.normalise(new float[] {3, 4}), 1e-6f);
  }

  @Test
  void rewardIsTheMeanCosineOverTargets() {
    float[] text = {1, 0};
    List<float[]> images = List.of(new float[] {3, 4}, new float[] {0, 5}, new float[] {-1, 0});
    // (0.6 + 0 - 1)/3
    assertEquals(-0.4f / 3f, ClipReward.reward(text, images), 1e-6f);
    assertArrayEquals(
        new float[] {-0.4f / 3f, 1.8f / 3f}, // (0.8 + 1 + 0)/3
        ClipReward.rewards(List.of(text, new float[] {0, 1}), images),
        1e-6f);
    assertThrows(IllegalArgumentException.class, () -> ClipReward.reward(text, List.of()));
  }
}
