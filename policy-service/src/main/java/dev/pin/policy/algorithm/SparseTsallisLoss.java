package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * PIN's sparse Tsallis losses (Choi et al. 2024; ALGORITHMS.md §4.3) as NDArray code that autograd
 * differentiates. {@code V_sp = α·spmax(F_I[Q_θ]/α)} with gradient sparsemax ({@link NdSparsemax}),
 * {@code V̄_sp} the same with the target net and no gradient. Per-step squared errors are summed
 * over t; the caller averages over the batch.
 *
 * <p>{@code Q_θ(s_t,a_t)} is read from the unfiltered Q: for sampled prompts the action is always
 * inside the filter, and for a prompt written by a person it keeps the gradient instead of pinning
 * the value to the ignored constant.
 */
public final class SparseTsallisLoss {

  /** The §4.3 loss variants. */
  public enum Kind {
    /** Released code (default): Monte-Carlo regression Σ_t (Q_θ(s_t,a_t) − γ^{T−1−t}·r)². */
    V1,
    /** Paper-like path consistency: (Q_θ − V_sp,θ − Â_t)², Â_t = Q̂_t − V̄_sp(s_t). */
    V2,
    /** The paper's Algorithm 1: (Q_θ(s_t,z_t) − r_t − γ·α·spmax(F_I[Q_θ̄(s_{t+1},·)]/α))². */
    ALGORITHM1,
    /** Multi-step: (Σ_{u≥t} γ^{u−t}(Q_θ − V_sp,θ)_u − (γ^{T−1−t}·r − V̄_sp(s_t)))². */
    V3
  }

  private SparseTsallisLoss() {}

  /**
   * The per-prompt losses and the values they used.
   *
   * @param q online Q_θ [B,T,V], unfiltered
   * @param qTarget target Q_θ̄ [B,T,V], unfiltered (unused by v1, which may pass null)
   * @param keep boolean [B,T,V] (or broadcastable): F_I's keep mask combined with the action mask;
   *     null = no filter
   * @param ignoredValue Q given to filtered tokens (−1000)
   * @param actions a_t [B,T], int64
   * @param rewards r [B], attached to the last step
   */
  public static LossTerms compute(Kind kind, NDArray q, NDArray qTarget, NDArray keep,
      float ignoredValue, NDArray actions, NDArray rewards, double alpha, double gamma) {
    return compute(kind, SoftValues.taken(q, actions), q, qTarget, keep, ignoredValue, rewards,
        alpha, gamma);
  }

  /**
   * The same with Q_θ(s_t, a_t) given apart: {@code qTaken [B,T]} carries the gradient of v1,
   * which reads nothing else of Q_θ, so for v1 {@code q} may come without gradient (it then only
   * gives the reported V_sp). For v2, v3 and Algorithm 1 the gradient also flows through V_sp, so
   * {@code q} must be the differentiable Q_θ that {@code qTaken} was read from.
   */
  public static LossTerms compute(Kind kind, NDArray qTaken, NDArray q, NDArray qTarget,
      NDArray keep, float ignoredValue, NDArray rewards, double alpha, double gamma) {
    NDArray qFiltered = keep == null ? q : LmFilter.apply(q, keep, ignoredValue);
    // v1 does not use V_sp; it is still reported, computed without a gradient.
    NDArray vSp = NdSparsemax.spmax(kind == Kind.V1 ? qFiltered.stopGradient() : qFiltered, alpha);
    long steps = qTaken.getShape().get(1);
    NDArray perStep = switch (kind) {
      case V1 -> monteCarloErrors(qTaken, rewards, gamma);
      case V2 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray qHat = SoftValues.bootstrap(vTarget, rewards, gamma);
        NDArray advantageTarget = qHat.sub(vTarget);
        yield qTaken.sub(vSp).sub(advantageTarget).square();
      }
      case ALGORITHM1 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray qHat = SoftValues.bootstrap(vTarget, rewards, gamma); // r_t = 0 before T−1
        yield qTaken.sub(qHat).square();
      }
      case V3 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray pathTarget = SoftValues.discountedReward(rewards, steps, gamma).sub(vTarget);
        yield SoftValues.discountedSuffixSum(qTaken.sub(vSp), gamma).sub(pathTarget).square();
      }
    };
    return new LossTerms(perStep.sum(new int[] {1}), qTaken, vSp);
  }

  /**
   * v1 alone, without the reported V_sp: the loss reads only Q_θ(s_t, a_t), so an update whose
   * values nobody reads (all but the last of {@code replay.updates_per_step}) skips the filter
   * and the spmax over the whole vocabulary, which cost more than the gradient step itself.
   */
  public static LossTerms monteCarlo(NDArray qTaken, NDArray rewards, double gamma) {
    return new LossTerms(monteCarloErrors(qTaken, rewards, gamma).sum(new int[] {1}), qTaken,
        null);
  }

  /** (Q_θ(s_t,a_t) − γ^{T−1−t}·r)² per step: [B,T]. */
  private static NDArray monteCarloErrors(NDArray qTaken, NDArray rewards, double gamma) {
    long steps = qTaken.getShape().get(1);
    return qTaken.sub(SoftValues.discountedReward(rewards, steps, gamma)).square();
  }

  /** V̄_sp(s_t) = α·spmax(F_I[Q_θ̄(s_t,·)]/α), without gradient: [B,T]. */
  private static NDArray targetValues(NDArray qTarget, NDArray keep, float ignoredValue,
      double alpha) {
    NDArray qBar = qTarget.stopGradient();
    NDArray filtered = keep == null ? qBar : LmFilter.apply(qBar, keep, ignoredValue);
    return NdSparsemax.spmax(filtered, alpha).stopGradient();
  }
}
