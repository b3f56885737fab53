package dev.pin.policy.algorithm;

import java.util.Arrays;

/**
 * Sparsemax and its Tsallis value "spmax" over plain arrays (ALGORITHMS.md §4.1).
 *
 * <p>{@code sparsemax(z) = argmin_{p ∈ simplex} ‖p − z‖²} has the closed form
 * {@code p_i = max(z_i − τ, 0)}; everything reduces to finding the threshold τ and the support size
 * K. {@link #threshold} finds them in expected O(n) by randomised pivoting (Duchi et al. 2008, Fig.
 * 2; Condat 2016); {@link #thresholdBySort} is the textbook O(n log n) version, kept as the test
 * oracle.
 *
 * <p>The policy samples from it on the CPU (one row of |V| Q-values per state); the differentiable
 * version used inside the losses is {@link NdSparsemax}.
 */
public final class Sparsemax {

  /** τ and the support size K = |{i : z_i > τ}| of one score vector. */
  public record Threshold(double tau, int support) {}

  private Sparsemax() {}

  /**
   * τ(z) in expected O(n): a pivot v is in the support iff {@code Σ_{z_j ≥ v} (z_j − v) < 1}, so
   * each round either accepts every entry ≥ v (and continues below it) or rejects every entry
   * ≤ v.
   */
  public static Threshold threshold(double[] z) {
    if (z.length == 0) {
      throw new IllegalArgumentException("sparsemax of an empty vector");
    }
    // Σ_S (z_j − τ) = 1 with every term positive gives τ ≥ max(z) − 1, so only entries above
    // max − 1 can be in the support (Condat 2016): for spread-out logits that is a handful, and the
    // pivoting below runs on them alone. The whole search stays expected O(n).
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double[] a = new double[z.length];
    int candidates = 0;
    for (double v : z) {
      if (v >= max - 1) { // ≥, so the max itself stays even where max − 1 rounds to max
        a[candidates++] = v;
      }
    }
    // U = a[lo, hi) holds the undecided entries; s and rho are Σ z and the count of the
    // accepted ones.
    int lo = 0;
    int hi = candidates;
    double s = 0;
    int rho = 0;
    // A fixed pivot sequence keeps results bit-reproducible; expected O(n) holds for any
    // input order.
    long pivotState = 0x9E3779B97F4A7C15L ^ candidates;
    while (lo < hi) {
      pivotState = splitMix(pivotState);
      double v = a[lo + (int) Long.remainderUnsigned(pivotState, hi - lo)];
      // Three-way partition of U: [lo, gt) > v, [gt, lt) == v, [lt, hi) < v.
      int gt = lo;
      int i = lo;
      int lt = hi;
      double deltaS = 0;
      while (i < lt) {
        double x = a[i];
        if (x > v) {
          deltaS += x;
          a[i] = a[gt];
          a[gt++] = x;
          i++;
        } else if (x < v) {
          a[i] = a[--lt];
          a[lt] = x;
        } else {
          deltaS += x;
          i++;
        }
      }
      int deltaRho = lt - lo;
      if ((s + deltaS) - (rho + deltaRho) * v < 1) {
        s += deltaS; // every entry ≥ v is in the support
        rho += deltaRho;
        lo = lt;
      } else {
        hi = gt; // v (and its ties) fall outside; only entries > v stay undecided
      }
    }
    return new Threshold((s - 1) / rho, rho);
  }

  /** τ(z) for float scores (computed in double). */
  public static Threshold threshold(float[] z) {
    return threshold(toDouble(z));
  }

  /**
   * The O(n log n) oracle of §4.1: sort descending,
   * {@code K = max{k : 1 + k·z_(k) > Σ_{j≤k} z_(j)}},
   * {@code τ = (Σ_{j≤K} z_(j) − 1)/K}.
   */
  public static Threshold thresholdBySort(double[] z) {
    if (z.length == 0) {
      throw new IllegalArgumentException("sparsemax of an empty vector");
    }
    double[] sorted = z.clone();
    Arrays.sort(sorted);
    double cumSum = 0;
    double supportSum = 0;
    int support = 0;
    for (int k = 1; k <= sorted.length; k++) {
      double zk = sorted[sorted.length - k];
      cumSum += zk;
      if (1 + k * zk > cumSum) {
        support = k;
        supportSum = cumSum;
      }
    }
    return new Threshold((supportSum - 1) / support, support);
  }

  /** sparsemax(z): p_i = max(z_i − τ, 0). */
  public static double[] sparsemax(double[] z) {
    double tau = threshold(z).tau();
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.max(z[i] - tau, 0);
    }
    return p;
  }

  /** sparsemax(z/α), the policy π(·|s) = max(Q/α − τ(Q/α), 0) of §4.1, for float Q-values. */
  public static double[] sparsemax(float[] q, double alpha) {
    return sparsemax(scaled(q, alpha));
  }

  /** spmax(z) = ½ Σ_{i∈S} (z_i² − τ²) + ½, the Tsallis value whose gradient is sparsemax(z). */
  public static double spmax(double[] z) {
    Threshold t = threshold(z);
    double sumSquares = 0;
    for (double zi : z) {
      if (zi > t.tau()) {
        sumSquares += zi * zi;
      }
    }
    return 0.5 * (sumSquares - t.support() * t.tau() * t.tau()) + 0.5;
  }

  /** V(s) = α·spmax(Q/α) (§4.1). */
  public static double spmax(double[] q, double alpha) {
    double[] z = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      z[i] = q[i] / alpha;
    }
    return alpha * spmax(z);
  }

  /** V(s) = α·spmax(Q/α) for float Q-values. */
  public static double spmax(float[] q, double alpha) {
    return alpha * spmax(scaled(q, alpha));
  }

  private static double[] scaled(float[] q, double alpha) {
    double[] z = new double[q.length];
    for (int i = 0; i < q.length; i++) {
      z[i] = q[i] / alpha;
    }
    return z;
  }

  private static double[] toDouble(float[] z) {
    double[] d = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      d[i] = z[i];
    }
    return d;
  }

  private static long splitMix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
