package dev.pin.reward.classification;

import dev.pin.reward.backend.TaskLanguageModel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Where a {@link ClassificationScorer} gets verbalizer logits: straight from the model on the
 * caller's thread ({@link #direct}) or through the dynamic batcher ({@link BatchedLogits}).
 */
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
   * {@link #logits} for inputs given as token ids without special tokens ({@link
   * TaskLanguageModel#logitsAtTokens}).
   *
   * @param tokenIds one id sequence per input
   * @param vocabIds vocabulary ids to read
   * @return a future of {@code [tokenIds.size()][vocabIds.length]} logits
   */
  CompletableFuture<float[][]> tokenLogits(List<int[]> tokenIds, int[] vocabIds);

  /**
   * Calls the model synchronously on the caller's thread (tests, tools, single-user setups).
   *
   * @param model the task LM
   * @return a source that never batches across callers
   */
  static LogitsSource direct(TaskLanguageModel model) {
    return new LogitsSource() {
      @Override
      public CompletableFuture<float[][]> logits(List<String> texts, int[] vocabIds) {
        return call(() -> model.logitsAt(texts, vocabIds));
      }

      @Override
      public CompletableFuture<float[][]> tokenLogits(List<int[]> tokenIds, int[] vocabIds) {
        return call(() -> model.logitsAtTokens(tokenIds, vocabIds));
      }

      private CompletableFuture<float[][]> call(Supplier<float[][]> logits) {
        try {
          return CompletableFuture.completedFuture(logits.get());
        } catch (RuntimeException e) {
          return CompletableFuture.failedFuture(e);
        }
      }
    };
  }
}
