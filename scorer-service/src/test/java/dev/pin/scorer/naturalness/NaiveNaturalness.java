package dev.pin.scorer.naturalness;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The textbook computation the batched scorer must equal, and the benchmark's baseline: one
 * forward pass per masked copy (and per prefix query), each a batch of one, with log-softmax and
 * ranks computed independently of {@link MaskedLmNaturalness} (ranks by sorting).
 */
public final class NaiveNaturalness {
  private final MaskedScoringLm lm;

  public NaiveNaturalness(MaskedScoringLm lm) {
    this.lm = lm;
  }

  /** PLL terms log p(z_t | z_\t), one forward per position. */
  public double[] pllTerms(int[] z) throws IOException {
    double[] terms = new double[z.length];
    for (int t = 0; t < z.length; t++) {
      int[] seq = new int[z.length + 2];
      seq[0] = lm.clsId();
      System.arraycopy(z, 0, seq, 1, z.length);
      seq[t + 1] = lm.maskId();
      seq[z.length + 1] = lm.sepId();
      float[] row = lm.logitsAt(List.of(seq), new int[] {t + 1})[0];
      terms[t] = logSoftmax(row)[z[t]];
    }
    return terms;
  }

  /** Σ of {@link #pllTerms}. */
  public double pseudoLogLikelihood(int[] z) throws IOException {
    return Arrays.stream(pllTerms(z)).sum();
  }

  /** {log p(z_t | z_<t), rank} at the [MASK] of [CLS] z_<t [MASK] [SEP], one forward per t. */
  public double[][] prior(int[] z) throws IOException {
    double[][] out = new double[z.length][];
    for (int t = 0; t < z.length; t++) {
      int[] seq = new int[t + 3];
      seq[0] = lm.clsId();
      System.arraycopy(z, 0, seq, 1, t);
      seq[t + 1] = lm.maskId();
      seq[t + 2] = lm.sepId();
      float[] row = lm.logitsAt(List.of(seq), new int[] {t + 1})[0];
      out[t] = new double[] {logSoftmax(row)[z[t]], sortedRank(row, z[t])};
    }
    return out;
  }

  private static double[] logSoftmax(float[] row) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : row) {
      max = Math.max(max, x);
    }
    double sum = 0;
    for (float x : row) {
      sum += Math.exp(x - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      out[i] = row[i] - logZ;
    }
    return out;
  }

  /** 1-based position of the first logit equal to row[target] in descending order. */
  private static int sortedRank(float[] row, int target) {
    float[] sorted = row.clone();
    Arrays.sort(sorted);
    for (int i = sorted.length - 1; i >= 0; i--) {
      if (sorted[i] == row[target]) {
        return sorted.length - i;
      }
    }
    throw new IllegalStateException("unreachable");
  }
}
