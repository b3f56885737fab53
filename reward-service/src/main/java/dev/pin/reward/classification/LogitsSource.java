package dev.pin.reward.classification;

import dev.pin.reward.backend.TaskLanguageModel;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link ClassificationScorer} gets verbalizer logits: straight from the model on the
 * caller's thread ({@link #direct}) or through the dynamic batcher ({@link BatchedLogits}).
 */
@FunctionalInterface
public interface LogitsSource {

  /**
   * Logits of {@code vocabIds} at the mask (masked LM) or last position (causal LM) of each text.
   *
   * @param texts rendered model inputs
   * @param vocabIds vocabulary ids to read
   * @return a future of {@code [texts.size()][vocabIds.length]} logits
   */
  CompletableFuture<float[][]> logits(List<String> texts, int[] vocabIds);

  /**
   * Calls the model synchronously on the caller's thread (tests, tools, single-user setups).
   *
   * @param model the task LM
   * @return a source that never batches across callers
   */
  static LogitsSource direct(TaskLanguageModel model) {
    return (texts, vocabIds) -> {
      try {
        return CompletableFuture.completedFuture(model.logitsAt(texts, vocabIds));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
  }
}
