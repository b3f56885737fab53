package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;

/** Small NDArray helpers the §3/§4.3 losses share. */
final class SoftValues {

  private SoftValues() {}

  /**
   * α·log Σ exp(Q/α) over the last axis. The max is shifted out without gradient, so the gradient
   * is exactly softmax(Q/α); entries of −∞ (masked actions) contribute nothing.
   */
  static NDArray logSumExp(NDArray q, double alpha) {
    NDArray z = alpha == 1.0 ? q : Scalars.dividedBy(q, alpha);
    NDArray max = z.stopGradient().max(new int[] {-1}, true);
    NDArray lse = z.sub(max).exp().sum(new int[] {-1}).log().add(max.squeeze(-1));
    return alpha == 1.0 ? lse : Scalars.times(lse, alpha);
  }

  /**
   * {@code where(condition, x, value)}, differentiable in x. DJL's PyTorch where does not
   * broadcast, so the condition is broadcast to x's shape here.
   */
  static NDArray where(NDArray condition, NDArray x, float value) {
    NDArray c = condition.getShape().equals(x.getShape()) ? condition
        : condition.broadcast(x.getShape());
    NDArray fill = x.getManager().full(x.getShape(), value, x.getDataType());
    return NDArrays.where(c, x, fill);
  }

  /** Q(s_t, a_t): {@code q [B,T,V]}, {@code actions [B,T]} (int64) → [B,T]. */
  static NDArray taken(NDArray q, NDArray actions) {
    return q.gather(actions.expandDims(-1), -1).squeeze(-1);
  }

  /** y_t = γ·next[t+1] for t < T−1 and y_{T−1} = r: {@code next [B,T]}, {@code r [B]} → [B,T]. */
  static NDArray bootstrap(NDArray next, NDArray rewards, double gamma) {
    long steps = next.getShape().get(1);
    NDArray last = rewards.expandDims(1);
    if (steps == 1) {
      return last;
    }
    return Scalars.times(next.get(":, 1:"), gamma).concat(last, 1);
  }

  /** γ^{T−1−t}·r for every t: [B] → [B,T], the discounted terminal reward seen from step t. */
  static NDArray discountedReward(NDArray rewards, long steps, double gamma) {
    float[] discount = new float[(int) steps];
    for (int t = 0; t < steps; t++) {
      discount[t] = (float) Math.pow(gamma, steps - 1 - t);
    }
    NDArray d = rewards.getManager().create(discount).toType(rewards.getDataType(), false);
    return rewards.expandDims(1).mul(d);
  }

  /** Σ_{u≥t} γ^{u−t}·x_u for every t: [B,T] → [B,T] (a backward discounted cumulative sum). */
  static NDArray discountedSuffixSum(NDArray x, double gamma) {
    long steps = x.getShape().get(1);
    NDArray[] sums = new NDArray[(int) steps];
    NDArray acc = null;
    for (int t = (int) steps - 1; t >= 0; t--) {
      NDArray xt = x.get(":, " + t);
      acc = acc == null ? xt : xt.add(Scalars.times(acc, gamma));
      sums[t] = acc;
    }
    return NDArrays.stack(new ai.djl.ndarray.NDList(sums), 1);
  }
}
