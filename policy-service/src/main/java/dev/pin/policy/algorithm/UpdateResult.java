package dev.pin.policy.algorithm;

/**
 * The answer to {@link PromptPolicy#update}.
 *
 * @param step gradient steps taken so far
 * @param updated false while the replay buffer warms up (no step taken)
 * @param loss this step's batch loss
 * @param gradNorm global gradient L2 norm before clipping
 * @param meanQ mean Q_θ(s_t, a_t) over the batch
 * @param meanV mean V_θ(s_t) (log-sum-exp or spmax) over the batch
 * @param replaySize prompts in the replay buffer
 * @param trainAccuracy PEZ and soft prompts: accuracy (%) on the training examples of the prompt
 *     the step forwarded, before its update; NaN for the RL methods
 */
public record UpdateResult(long step, boolean updated, double loss, double gradNorm, double meanQ,
    double meanV, int replaySize, double trainAccuracy) {

  /** An RL update's result (no train accuracy). */
  public UpdateResult(long step, boolean updated, double loss, double gradNorm, double meanQ,
      double meanV, int replaySize) {
    this(step, updated, loss, gradNorm, meanQ, meanV, replaySize, Double.NaN);
  }
}
