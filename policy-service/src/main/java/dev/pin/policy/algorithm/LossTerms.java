package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * What a §3/§4.3 loss computes for a batch.
 *
 * @param perPrompt each prompt's loss, the per-step errors summed over t: [B]
 * @param qTaken Q_θ(s_t, a_t): [B,T]
 * @param values the online V_θ(s_t) under the algorithm's value (log-sum-exp or spmax): [B,T];
 *     null where a loss that never reads it skipped computing it (PIN v1 before the last of
 *     several updates)
 */
public record LossTerms(NDArray perPrompt, NDArray qTaken, NDArray values) {

  /** The batch loss: per-prompt sums averaged over the batch. */
  public NDArray loss() {
    return perPrompt.mean();
  }
}
