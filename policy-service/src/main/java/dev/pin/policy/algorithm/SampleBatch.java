package dev.pin.policy.algorithm;

import java.util.List;

/**
 * The answer to {@link PromptPolicy#sample}.
 *
 * @param prompts the B prompts
 * @param meanEntropy mean Shannon entropy of the policy per step (nats)
 * @param meanSupportSize mean number of tokens with non-zero probability per step
 * @param meanQSpread mean over states of the standard deviation of Q over the candidates
 */
public record SampleBatch(List<SampledPrompt> prompts, double meanEntropy,
    double meanSupportSize, double meanQSpread) {

  /**
   * One prompt.
   *
   * @param sampleId names this sample in a later update (its hidden states are cached)
   * @param tokenIds z_0 … z_{T−1}
   * @param qValues Q(s_t, z_t) as the policy saw it (bias and filter applied)
   * @param logProbs log π(z_t | s_t)
   */
  public record SampledPrompt(long sampleId, int[] tokenIds, float[] qValues, float[] logProbs) {}
}
