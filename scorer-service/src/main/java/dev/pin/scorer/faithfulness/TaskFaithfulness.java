package dev.pin.scorer.faithfulness;

import dev.pin.v1.ModelRef;
import dev.pin.v1.Prompt;
import dev.pin.v1.Split;
import java.util.List;

/**
 * The measurements behind the faithfulness proxies of "Towards Interpretable Soft Prompts"
 * (ALGORITHMS.md §7.2: "the readable prompt drives the model the way the trained prompt does"),
 * which need the task: {@link RewardTaskFaithfulness} answers them over the Reward service's gRPC
 * API. The scorer-service README defines what the Interpretability RPC derives from them.
 *
 * <p>A prompt's {@code token_ids} are in the policy model's vocabulary ({@code policyModel}; an
 * empty name means the task model's, the usual setup where the two share a tokenizer).
 *
 * <p>Implementations may throw {@link io.grpc.StatusRuntimeException} (NOT_FOUND for an unknown
 * handle, UNAVAILABLE when the Reward service cannot be reached); the scorer passes it on.
 */
public interface TaskFaithfulness {
  /**
   * Round trip per prompt: 1 when the prompt's text, re-tokenised by {@code policyModel}'s
   * tokenizer (empty name: {@code taskHandle}'s task model's), gives exactly the prompt's {@code
   * token_ids}; 0 when it does not; NaN for a prompt without {@code token_ids}.
   */
  double[] roundTrip(String taskHandle, ModelRef policyModel, List<Prompt> prompts);

  /**
   * Whether {@code policyModel}'s vocabulary is {@code taskHandle}'s task model's: the same token
   * under every id, so the prompt's ids mean to the task model what they meant to the policy.
   * True for an empty name.
   */
  boolean sharedVocabulary(String taskHandle, ModelRef policyModel);

  /**
   * The task rewards R of the prompts on {@code taskHandle}'s task and {@code split}.
   *
   * @param readIds also score each prompt's {@code token_ids} read in place of its text (only
   *     when the ids are in the task model's vocabulary)
   */
  TaskRewards rewards(String taskHandle, List<Prompt> prompts, Split split, boolean readIds);

  /**
   * Rewards of one task and split.
   *
   * @param text {@code R(text_i)} per prompt
   * @param empty {@code R(∅)}, the empty prompt's reward, from the same call as {@code text}
   * @param ids {@code R(ids_i)} per prompt (Reward's {@code read_token_ids}); NaN for a prompt
   *     without token_ids, when not asked for, or when the task cannot read ids (only
   *     classification tasks can)
   */
  record TaskRewards(double[] text, double empty, double[] ids) {}
}
