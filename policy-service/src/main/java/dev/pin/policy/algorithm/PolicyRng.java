package dev.pin.policy.algorithm;

/**
 * The policy's one source of randomness (sampling, replay draws): SplitMix64, whose whole state is
 * a single {@code long}, so a checkpoint restores it exactly and runs are bit-reproducible from the
 * seed. Not thread-safe; the owning policy serialises access.
 */
public final class PolicyRng {

  private long state;

  /** Seeds the generator. */
  public PolicyRng(long seed) {
    this.state = seed;
  }

  /** The next 64 random bits. */
  public long nextLong() {
    state += 0x9E3779B97F4A7C15L;
    long z = state;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound). */
  public int nextInt(int bound) {
    if (bound <= 0) {
      throw new IllegalArgumentException("bound must be positive: " + bound);
    }
    // Lemire's multiply-shift with rejection keeps the draw unbiased.
    long r = (nextLong() >>> 32) * bound;
    if ((r & 0xFFFFFFFFL) < bound) {
      long threshold = (0x100000000L - bound) % bound;
      while ((r & 0xFFFFFFFFL) < threshold) {
        r = (nextLong() >>> 32) * bound;
      }
    }
    return (int) (r >>> 32);
  }

  /**
   * An index drawn with probability {@code p[i]} (non-negative, summing to 1 up to rounding): one
   * uniform against the running sum; a uniform in the rounding gap at the top falls to the last
   * index with p &gt; 0.
   *
   * @throws IllegalStateException if no entry is positive (a policy whose Q values are not finite)
   */
  public int nextCategorical(double[] p) {
    double u = nextDouble();
    double cumulative = 0;
    int last = -1;
    for (int i = 0; i < p.length; i++) {
      if (p[i] > 0) {
        cumulative += p[i];
        last = i;
        if (u < cumulative) {
          return i;
        }
      }
    }
    if (last < 0) {
      throw new IllegalStateException("no token has a positive probability among "
          + p.length + " candidates: the policy's Q values are not finite");
    }
    return last;
  }

  /** Standard normal draw (Box–Muller; uses two uniforms, keeps no cached second value). */
  public double nextGaussian() {
    double u1 = 1.0 - nextDouble();
    double u2 = nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** The full state, for checkpoints. */
  public long state() {
    return state;
  }

  /** Restores a state from {@link #state()}. */
  public void setState(long state) {
    this.state = state;
  }
}
