package dev.pin.scorer.faithfulness;

import dev.pin.v1.Prompt;
import java.util.List;

/**
 * The faithfulness proxies of "Towards Interpretable Soft Prompts" (ALGORITHMS.md §7.2), which
 * need the Reward service's task scoring. This is the seam: the scorer calls it when a request
 * names a task handle; an implementation over the Reward client plugs in through {@code
 * ScorerServer}'s constructor. Until one is plugged in such requests get FAILED_PRECONDITION.
 *
 * <p>Implementations may throw {@link io.grpc.StatusRuntimeException} (e.g. NOT_FOUND for an
 * unknown handle); the scorer passes the status on.
 */
public interface TaskFaithfulness {
  /**
   * Round-trip agreement per prompt, in [0, 1]: the share of the task's examples on which the task
   * model predicts the same label when fed the prompt's text (re-tokenised by the task model) as
   * when fed its token ids.
   */
  double[] roundTripAgreement(String taskHandle, List<Prompt> prompts);

  /**
   * Gain transfer per prompt: (score with the prompt − score with the empty prompt) on {@code
   * transferTaskHandle}'s task model, divided by the same gain on {@code taskHandle}'s.
   */
  double[] gainTransfer(String taskHandle, String transferTaskHandle, List<Prompt> prompts);
}
