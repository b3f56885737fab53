package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * PIN's LM-prior token filter F_I (§4.2): at each state keep the tokens whose frozen-LM logit ℓ is
 * at least the k-th largest (every token tied at the threshold is kept); the ignorable rest get
 * {@code Q = ignoredValue} (−1000 by default), for sampling and for targets. Masked special tokens
 * are never kept and do not use up any of the k places.
 */
public final class LmFilter {

  private LmFilter() {}

  /**
   * The keep mask of one state: {@code keep_a = allowed_a ∧ ℓ_a ≥ ℓ_(k)}.
   *
   * @param allowed the action mask, or null when every token is allowed
   */
  public static boolean[] keep(float[] logits, int k, boolean[] allowed) {
    int allowedCount = 0;
    for (int i = 0; i < logits.length; i++) {
      allowedCount += allowed == null || allowed[i] ? 1 : 0;
    }
    float threshold =
        TopK.kthLargest(logits, allowed, Math.max(1, Math.min(k, allowedCount)));
    boolean[] keep = new boolean[logits.length];
    for (int i = 0; i < logits.length; i++) {
      keep[i] = (allowed == null || allowed[i]) && logits[i] >= threshold;
    }
    return keep;
  }

  /** F_I[Q]: Q where kept, {@code ignoredValue} elsewhere. */
  public static float[] apply(float[] q, boolean[] keep, float ignoredValue) {
    float[] filtered = new float[q.length];
    for (int i = 0; i < q.length; i++) {
      filtered[i] = keep[i] ? q[i] : ignoredValue;
    }
    return filtered;
  }

  /**
   * The keep mask for a batch of states: {@code logits [..., V]} to a boolean array of the same
   * shape. The threshold is the k-th largest allowed logit of each row (torch top-k).
   *
   * @param allowed boolean [V] action mask, or null when every token is allowed
   */
  public static NDArray keep(NDArray logits, int k, NDArray allowed) {
    NDArray masked = logits;
    int allowedCount = (int) logits.getShape().tail();
    if (allowed != null) {
      masked = SoftValues.where(allowed, logits, Float.NEGATIVE_INFINITY);
      allowedCount = (int) allowed.toType(ai.djl.ndarray.types.DataType.INT64, false).sum()
          .getLong();
    }
    int kk = Math.max(1, Math.min(k, allowedCount));
    NDArray kth = masked.topK(kk, -1, true, false).get(0).min(new int[] {-1}, true);
    NDArray keep = masked.gte(kth);
    return allowed == null ? keep : keep.logicalAnd(allowed.broadcast(keep.getShape()));
  }

  /** F_I[Q] on a batch: {@code where(keep, Q, ignoredValue)}; differentiable in Q. */
  public static NDArray apply(NDArray q, NDArray keep, float ignoredValue) {
    return SoftValues.where(keep, q, ignoredValue);
  }
}
