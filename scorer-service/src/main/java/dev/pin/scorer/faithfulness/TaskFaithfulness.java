package dev.pin.scorer.faithfulness;

import dev.pin.v1.Prompt;
import dev.pin.v1.Split;
import java.util.List;

/**
 * The two measurements behind the faithfulness proxies of "Towards Interpretable Soft Prompts"
 * (ALGORITHMS.md §7.2: "the readable prompt drives the model the way the trained prompt does"),
 * which need the task: {@link RewardTaskFaithfulness} answers them over the Reward service's gRPC
 * API. The scorer-service README defines what the Interpretability RPC derives from them.
 *
 * <p>Implementations may throw {@link io.grpc.StatusRuntimeException} (NOT_FOUND for an unknown
 * handle, UNAVAILABLE when the Reward service cannot be reached); the scorer passes it on.
 */
public interface TaskFaithfulness {
  /**
   * Round trip per prompt: 1 when the prompt's text, re-tokenised by {@code taskHandle}'s task
   * model tokenizer, gives exactly the prompt's {@code token_ids}; 0 when it does not; NaN for a
   * prompt without {@code token_ids}.
   */
  double[] roundTrip(String taskHandle, List<Prompt> prompts);

  /**
   * Gain per prompt on {@code taskHandle}'s task: {@code R(z) − R(∅)}, the Reward service's task
   * reward of the prompt's text minus that of the empty prompt, on {@code split}.
   */
  double[] gains(String taskHandle, List<Prompt> prompts, Split split);
}
