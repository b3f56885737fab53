package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PolicyRngTest {

  @Test
  void categoricalDrawsFollowTheProbabilitiesAndSkipZeros() {
    PolicyRng rng = new PolicyRng(3);
    double[] p = {0, 0.25, 0, 0.75, 0};
    int[] counts = new int[p.length];
    for (int i = 0; i < 20_000; i++) {
      counts[rng.nextCategorical(p)]++;
    }
    assertEquals(0, counts[0] + counts[2] + counts[4]);
    assertEquals(0.25, counts[1] / 20_000.0, 0.015);
  }

  @Test
  void theSameSeedDrawsTheSameSequence() {
    PolicyRng a = new PolicyRng(11);
    PolicyRng b = new PolicyRng(11);
    double[] p = {0.1, 0.2, 0.3, 0.4};
    for (int i = 0; i < 100; i++) {
      assertEquals(a.nextCategorical(p), b.nextCategorical(p));
    }
  }

  @Test
  void noPositiveProbabilityIsAClearErrorNotIndexMinusOne() {
    PolicyRng rng = new PolicyRng(5);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> rng.nextCategorical(new double[] {Double.NaN, 0, -0.0}));
    assertTrue(e.getMessage().contains("not finite"), e.getMessage());
  }
}
