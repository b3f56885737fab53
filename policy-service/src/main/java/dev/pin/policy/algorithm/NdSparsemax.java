package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Sparsemax and spmax over the last axis of an NDArray, written so that autograd's gradient of
 * spmax is exactly sparsemax (§4.1), the way log-sum-exp's is softmax.
 *
 * <p>The support S is found without gradient (sort, cumulative sum, {@code 1 + k·z_(k) > Σ_{j≤k}
 * z_(j)}); then {@code τ = (Σ_S z − 1)/K} and {@code spmax = ½ Σ_S (z² − τ²) + ½} are built from
 * differentiable ops, whose derivative is {@code 1_S·(z − τ) = sparsemax(z)}.
 */
public final class NdSparsemax {

  private NdSparsemax() {}

  /** The support indicator {@code z_i > τ(z)} as z's dtype (0/1), without gradient. */
  public static NDArray supportMask(NDArray z) {
    NDArray zd = z.stopGradient();
    long n = zd.getShape().tail();
    // τ ≥ max(z) − 1 (the support's gaps to τ sum to 1), so the support lies in the top m entries,
    // m = the most entries within 1 of their row's max: sort only those (all of them early on,
    // when Q is flat; a handful once it has spread, e.g. 30 522 → tens for BERT's vocabulary).
    long m = zd.gte(zd.max(new int[] {-1}, true).sub(1)).toType(DataType.INT64, false)
        .sum(new int[] {-1}).max().getLong();
    NDArray sorted = m < n
        ? zd.topK((int) m, -1, true, true).get(0)
        : zd.neg().sort(-1).neg(); // descending
    NDArray cumSum = sorted.cumSum(-1);
    NDArray k = zd.getManager().arange(1f, sorted.getShape().tail() + 1f, 1f, zd.getDataType());
    NDArray inSupport = sorted.mul(k).add(1).gt(cumSum);
    NDArray support = inSupport.toType(DataType.INT64, false).sum(new int[] {-1}, true);
    NDArray tau = cumSum.gather(support.sub(1), -1).sub(1).div(support.toType(zd.getDataType(),
        false));
    return zd.gt(tau).toType(zd.getDataType(), false);
  }

  /** τ(z) over the last axis (differentiable), with the last axis kept as size 1. */
  public static NDArray tau(NDArray z, NDArray mask) {
    NDArray support = mask.sum(new int[] {-1}, true);
    return z.mul(mask).sum(new int[] {-1}, true).sub(1).div(support);
  }

  /** spmax(z) over the last axis: shape [...]; ∂spmax/∂z = sparsemax(z). */
  public static NDArray spmax(NDArray z) {
    NDArray mask = supportMask(z);
    NDArray support = mask.sum(new int[] {-1});
    NDArray tau = tau(z, mask).squeeze(-1);
    return Scalars.times(z.square().mul(mask).sum(new int[] {-1}).sub(support.mul(tau.square())),
        0.5).add(0.5);
  }

  /** V = α·spmax(Q/α) over the last axis. */
  public static NDArray spmax(NDArray q, double alpha) {
    return alpha == 1.0 ? spmax(q) : Scalars.times(spmax(Scalars.dividedBy(q, alpha)), alpha);
  }

  /** sparsemax(z) = max(z − τ, 0) over the last axis. */
  public static NDArray sparsemax(NDArray z) {
    NDArray mask = supportMask(z);
    return z.sub(tau(z, mask)).mul(mask);
  }
}
