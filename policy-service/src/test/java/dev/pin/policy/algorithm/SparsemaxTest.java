package dev.pin.policy.algorithm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SparsemaxTest {

  private static final double EPS = 1e-9;

  @Test
  void handComputedExample() {
    // z = (1.0, 0.8, 0.1): k=1: 1+1.0 > 1.0 ✓; k=2: 1+2·0.8=2.6 > 1.8 ✓; k=3: 1+0.3=1.3 > 1.9 ✗.
    // K = 2, τ = (1.8 − 1)/2 = 0.4, p = (0.6, 0.4, 0).
    // spmax = ½((1 − 0.16) + (0.64 − 0.16)) + ½ = ½·1.32 + ½ = 1.16.
    double[] z = {1.0, 0.8, 0.1};
    Sparsemax.Threshold t = Sparsemax.threshold(z);
    assertEquals(2, t.support());
    assertEquals(0.4, t.tau(), EPS);
    double[] p = Sparsemax.sparsemax(z);
    assertEquals(0.6, p[0], EPS);
    assertEquals(0.4, p[1], EPS);
    assertEquals(0.0, p[2], EPS);
    assertEquals(1.16, Sparsemax.spmax(z), EPS);
  }

  @Test
  void linearTimeMatchesSortOracleOnRandomInputsWithTies() {
    Random random = new Random(7);
    for (int trial = 0; trial < 2000; trial++) {
      int n = 1 + random.nextInt(300);
      double[] z = new double[n];
      double scale = Math.pow(10, random.nextInt(5) - 2);
      for (int i = 0; i < n; i++) {
        // Every third trial draws from a handful of values, so ties (also at τ) are common.
        z[i] = trial % 3 == 0 ? random.nextInt(4) * 0.25 : random.nextGaussian() * scale;
      }
      Sparsemax.Threshold fast = Sparsemax.threshold(z);
      Sparsemax.Threshold oracle = Sparsemax.thresholdBySort(z);
      assertEquals(oracle.tau(), fast.tau(), 1e-9 * Math.max(1, Math.abs(oracle.tau())));
      assertEquals(oracle.support(), fast.support(), "support, trial " + trial);
      assertTrue(fast.support() >= 1 && fast.support() <= n);
    }
  }

  @Test
  void isTheEuclideanProjectionOntoTheSimplex() {
    Random random = new Random(11);
    for (int trial = 0; trial < 300; trial++) {
      int n = 2 + random.nextInt(40);
      double[] z = gaussian(random, n, 2.0);
      double[] p = Sparsemax.sparsemax(z);
      double tau = Sparsemax.threshold(z).tau();
      double sum = 0;
      for (int i = 0; i < n; i++) {
        assertTrue(p[i] >= 0, "non-negative");
        sum += p[i];
        // KKT of min ½‖p − z‖² s.t. Σp = 1, p ≥ 0: z_i − p_i = τ on the support, z_i ≤ τ off it.
        if (p[i] > 0) {
          assertEquals(tau, z[i] - p[i], 1e-12);
        } else {
          assertTrue(z[i] <= tau + 1e-12, "inactive entries lie below τ");
        }
      }
      assertEquals(1.0, sum, 1e-12);
      // Direct check of optimality: no random point of the simplex is closer to z.
      double best = squaredDistance(p, z);
      for (int k = 0; k < 50; k++) {
        double[] q = randomSimplexPoint(random, n);
        assertTrue(best <= squaredDistance(q, z) + 1e-12);
      }
    }
  }

  @Test
  void spmaxBoundsAndVariationalForm() {
    Random random = new Random(3);
    for (int trial = 0; trial < 300; trial++) {
      double[] z = gaussian(random, 1 + random.nextInt(50), 3.0);
      double spmax = Sparsemax.spmax(z);
      double max = Double.NEGATIVE_INFINITY;
      for (double v : z) {
        max = Math.max(max, v);
      }
      assertTrue(spmax >= max - 1e-12, "spmax ≥ max(z)");
      // spmax(z) = ⟨p, z⟩ + ½(1 − Σ p²) at p = sparsemax(z).
      double[] p = Sparsemax.sparsemax(z);
      double inner = 0;
      double squares = 0;
      for (int i = 0; i < z.length; i++) {
        inner += p[i] * z[i];
        squares += p[i] * p[i];
      }
      assertEquals(inner + 0.5 * (1 - squares), spmax, 1e-9);
    }
    // One dominating entry: K = 1, τ = 5 − 1 = 4, spmax = ½(25 − 16) + ½ = 5 = max(z).
    assertEquals(5.0, Sparsemax.spmax(new double[] {5, 0, 0, -2}), EPS);
    assertEquals(1, Sparsemax.threshold(new double[] {5, 0, 0, -2}).support());
  }

  @Test
  void gradientOfSpmaxIsSparsemax() {
    Random random = new Random(5);
    double h = 1e-6;
    for (int trial = 0; trial < 100; trial++) {
      double[] z = gaussian(random, 2 + random.nextInt(20), 1.0);
      double[] p = Sparsemax.sparsemax(z);
      for (int i = 0; i < z.length; i++) {
        double[] plus = z.clone();
        double[] minus = z.clone();
        plus[i] += h;
        minus[i] -= h;
        double numeric = (Sparsemax.spmax(plus) - Sparsemax.spmax(minus)) / (2 * h);
        assertEquals(p[i], numeric, 1e-5, "∂spmax/∂z_" + i);
      }
    }
  }

  @Test
  void temperatureScalesTheValue() {
    // α·spmax(Q/α): Q = (2, 0), α = 2 → z = (1, 0): K = 2? 1+2·0 = 1 > 1 ✗, so K = 1, τ = 0,
    // spmax(z) = ½(1 − 0) + ½ = 1, V = 2·1 = 2 (one dominant entry: V = max Q).
    assertEquals(2.0, Sparsemax.spmax(new double[] {2, 0}, 2.0), EPS);
    // α = 4 → z = (0.5, 0): K = 2, τ = (0.5 − 1)/2 = −0.25, spmax = ½(0.25 − 0.0625 + 0 − 0.0625) +
    // ½ = 0.5625, V = 4·0.5625 = 2.25.
    assertEquals(2.25, Sparsemax.spmax(new float[] {2f, 0f}, 4.0), 1e-7);
    double[] p = Sparsemax.sparsemax(new float[] {2f, 0f}, 4.0);
    assertEquals(0.75, p[0], 1e-7);
    assertEquals(0.25, p[1], 1e-7);
  }

  private static double[] gaussian(Random random, int n, double scale) {
    double[] z = new double[n];
    for (int i = 0; i < n; i++) {
      z[i] = random.nextGaussian() * scale;
    }
    return z;
  }

  private static double[] randomSimplexPoint(Random random, int n) {
    double[] q = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      q[i] = -Math.log(1 - random.nextDouble()) * (random.nextInt(3) == 0 ? 0 : 1);
      sum += q[i];
    }
    if (sum == 0) {
      q[random.nextInt(n)] = 1;
      return q;
    }
    for (int i = 0; i < n; i++) {
      q[i] /= sum;
    }
    return q;
  }

  private static double squaredDistance(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return d;
  }
}
