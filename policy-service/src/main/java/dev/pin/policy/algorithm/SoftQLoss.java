package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * RLPrompt's soft Q-learning losses (Deng et al. 2022; ALGORITHMS.md §3), as NDArray code that
 * autograd differentiates. {@code V(s) = α·log Σ_a exp(Q(s,a)/α)} over the whole (unmasked) action
 * space, {@code A_t = Q_θ(s_t,a_t) − V_θ(s_t)} with the gradient through both terms, and V̄ from
 * the target Q without gradient. Per-step squared errors are summed over t; the caller averages the
 * per-prompt sums over the batch.
 *
 * <p>With γ &lt; 1, v3 uses the discounted path consistency {@code Σ_{u≥t} γ^{u−t} A_u =
 * γ^{T−1−t}·r − V̄(s_t)}, which telescopes from {@code A_t = r_t + γV(s_{t+1}) − V(s_t)}; at γ = 1
 * (the §1 default) it is the table's form exactly.
 */
public final class SoftQLoss {

  /** The §3 loss variants. */
  public enum Kind {
    /** One-step Bellman: (Q_θ(s_t,a_t) − y_t)², y_t = γ·V̄(s_{t+1}), y_{T−1} = r. */
    V1,
    /** One-step path consistency: (A_t − Â_t)², Â_t = γ·V̄(s_{t+1}) − V̄(s_t), Â_{T−1} = r − V̄. */
    V2,
    /** Multi-step path consistency: (Σ_{u≥t} A_u − (r − V̄(s_t)))². */
    V3,
    /** ½(v2 + v3), what the released RLPrompt runs optimise (the default). */
    V2_V3_MIXED
  }

  private SoftQLoss() {}

  /**
   * The per-prompt losses and the values they used.
   *
   * @param q online Q_θ [B,T,V] (−∞ at masked actions is allowed)
   * @param qTarget target Q_θ̄ [B,T,V]
   * @param actions a_t [B,T], int64
   * @param rewards r [B], attached to the last step
   * @param allowed boolean action mask [V] or [B,T,V], or null; masked entries are −∞ in V and V̄
   */
  public static LossTerms compute(Kind kind, NDArray q, NDArray qTarget, NDArray actions,
      NDArray rewards, NDArray allowed, double alpha, double gamma) {
    NDArray qTaken = SoftValues.taken(q, actions);
    NDArray v = SoftValues.logSumExp(mask(q, allowed), alpha);
    NDArray vTarget = SoftValues.logSumExp(mask(qTarget.stopGradient(), allowed), alpha);
    NDArray advantage = qTaken.sub(v);
    NDArray perStep = switch (kind) {
      case V1 -> qTaken.sub(SoftValues.bootstrap(vTarget, rewards, gamma)).square();
      case V2 -> v2(advantage, vTarget, rewards, gamma);
      case V3 -> v3(advantage, vTarget, rewards, gamma);
      case V2_V3_MIXED -> v2(advantage, vTarget, rewards, gamma)
          .add(v3(advantage, vTarget, rewards, gamma)).mul(0.5);
    };
    return new LossTerms(perStep.sum(new int[] {1}), qTaken, v);
  }

  /** (A_t − Â_t)² with Â_t = γ·V̄(s_{t+1}) − V̄(s_t) and Â_{T−1} = r − V̄(s_{T−1}). */
  private static NDArray v2(NDArray advantage, NDArray vTarget, NDArray rewards, double gamma) {
    NDArray advantageTarget = SoftValues.bootstrap(vTarget, rewards, gamma).sub(vTarget);
    return advantage.sub(advantageTarget).square();
  }

  /** (Σ_{u≥t} γ^{u−t} A_u − (γ^{T−1−t}·r − V̄(s_t)))². */
  private static NDArray v3(NDArray advantage, NDArray vTarget, NDArray rewards, double gamma) {
    long steps = advantage.getShape().get(1);
    NDArray pathTarget = SoftValues.discountedReward(rewards, steps, gamma).sub(vTarget);
    return SoftValues.discountedSuffixSum(advantage, gamma).sub(pathTarget).square();
  }

  private static NDArray mask(NDArray q, NDArray allowed) {
    if (allowed == null) {
      return q;
    }
    return SoftValues.where(allowed, q, Float.NEGATIVE_INFINITY);
  }
}
