package dev.pin.reward.style;

/**
 * BERTScore (Zhang et al., 2020) from contextual token embeddings, without idf weighting: each
 * candidate token is matched to its most similar reference token by cosine similarity (precision),
 * each reference token to its most similar candidate token (recall), and {@code F1 = 2PR/(P+R)}. As
 * in the reference implementation with idf off, special tokens ([CLS], [SEP], &lt;s&gt;…) are
 * excluded by passing a keep-mask; no baseline rescaling.
 */
public final class BertScore {
  private BertScore() {}

  /**
   * Precision, recall and F1.
   *
   * @param precision mean over candidate tokens of the best cosine
   * @param recall mean over reference tokens of the best cosine
   * @param f1 harmonic mean (0 when P + R is 0)
   */
  public record Score(float precision, float recall, float f1) {}

  /**
   * BERTScore over all tokens given.
   *
   * @param candidate candidate token embeddings {@code [m][d]}
   * @param reference reference token embeddings {@code [n][d]}
   * @return the score
   */
  public static Score score(float[][] candidate, float[][] reference) {
    return score(candidate, null, reference, null);
  }

  /**
   * BERTScore over the kept tokens.
   *
   * @param candidate candidate token embeddings {@code [m][d]}
   * @param keepCandidate which candidate tokens count (null = all), e.g. false for [CLS]/[SEP]
   * @param reference reference token embeddings {@code [n][d]}
   * @param keepReference which reference tokens count (null = all)
   * @return the score; all zero when either side has no kept token
   */
  public static Score score(
      float[][] candidate, boolean[] keepCandidate, float[][] reference, boolean[] keepReference) {
    float[][] c = normalisedKept(candidate, keepCandidate);
    float[][] r = normalisedKept(reference, keepReference);
    if (c.length == 0 || r.length == 0) {
      return new Score(0f, 0f, 0f);
    }
    double[] bestForCand = new double[c.length];
    double[] bestForRef = new double[r.length];
    java.util.Arrays.fill(bestForCand, Double.NEGATIVE_INFINITY);
    java.util.Arrays.fill(bestForRef, Double.NEGATIVE_INFINITY);
    for (int i = 0; i < c.length; i++) {
      for (int j = 0; j < r.length; j++) {
        double sim = dot(c[i], r[j]);
        bestForCand[i] = Math.max(bestForCand[i], sim);
        bestForRef[j] = Math.max(bestForRef[j], sim);
      }
    }
    double p = mean(bestForCand);
    double rec = mean(bestForRef);
    double f = p + rec == 0 ? 0 : 2 * p * rec / (p + rec);
    return new Score((float) p, (float) rec, (float) f);
  }

  /**
   * Baseline rescaling as bert_score's {@code rescale_with_baseline}: each of P, R and F becomes
   * {@code (x − b)/(1 − b)} with its own baseline b (F is rescaled, not recomputed).
   *
   * @param s the raw score
   * @param baseline {@code {P, R, F}} baselines of the model and layer
   * @return the rescaled score (may be negative)
   */
  public static Score rescale(Score s, float[] baseline) {
    if (baseline.length != 3) {
      throw new IllegalArgumentException("baseline needs P, R and F, got " + baseline.length);
    }
    return new Score(
        (s.precision() - baseline[0]) / (1 - baseline[0]),
        (s.recall() - baseline[1]) / (1 - baseline[1]),
        (s.f1() - baseline[2]) / (1 - baseline[2]));
  }

  private static float[][] normalisedKept(float[][] emb, boolean[] keep) {
    if (keep != null && keep.length != emb.length) {
      throw new IllegalArgumentException(keep.length + " keep flags for " + emb.length + " tokens");
    }
    int n = 0;
    for (int i = 0; i < emb.length; i++) {
      if (keep == null || keep[i]) {
        n++;
      }
    }
    float[][] out = new float[n][];
    int k = 0;
    for (int i = 0; i < emb.length; i++) {
      if (keep == null || keep[i]) {
        double norm = Math.sqrt(dot(emb[i], emb[i]));
        float[] v = new float[emb[i].length];
        for (int d = 0; d < v.length; d++) {
          v[d] = norm == 0 ? 0f : (float) (emb[i][d] / norm);
        }
        out[k++] = v;
      }
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("embedding sizes differ: " + a.length + " vs " + b.length);
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }
}
