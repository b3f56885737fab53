package dev.pin.reward.cache;

import dev.pin.v1.Split;
import java.util.List;
import java.util.Objects;

/**
 * What a reward depends on: the task (its content hash), the split, the example subset and what
 * the task model reads of the prompt — its text, or its token ids when the request asked for
 * them ({@code ScoreRequest.read_token_ids}). Ids and text never share an entry: a prompt whose
 * text does not round-trip to its ids gets a different reward from each.
 *
 * @param taskHandle the task handle, e.g. {@code "task-3f2a…"}
 * @param split the split ({@code SPLIT_UNSPECIFIED} should be normalised to train by the caller)
 * @param exampleIndices the example subset; empty means the whole split
 * @param promptText the prompt text the model reads; "" when it reads {@code promptTokenIds}
 * @param promptTokenIds the prompt's token ids the model reads in place of the text; empty when
 *     it reads {@code promptText}
 */
public record RewardCacheKey(
    String taskHandle,
    Split split,
    List<Integer> exampleIndices,
    String promptText,
    List<Integer> promptTokenIds) {

  /** Copies the lists so a key never changes after it is stored. */
  public RewardCacheKey {
    Objects.requireNonNull(taskHandle, "taskHandle");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(promptText, "promptText");
    exampleIndices = List.copyOf(exampleIndices);
    promptTokenIds = List.copyOf(promptTokenIds);
    if (!promptTokenIds.isEmpty() && !promptText.isEmpty()) {
      throw new IllegalArgumentException("a key holds the prompt's text or its token ids, not both");
    }
  }

  /**
   * The key of a prompt read as text, with SPLIT_UNSPECIFIED mapped to SPLIT_TRAIN (the proto's
   * documented default), so both spellings share an entry.
   *
   * @param taskHandle the task handle
   * @param split the requested split
   * @param exampleIndices the example subset
   * @param promptText the prompt text
   * @return the key
   */
  public static RewardCacheKey of(
      String taskHandle, Split split, List<Integer> exampleIndices, String promptText) {
    return new RewardCacheKey(taskHandle, normalise(split), exampleIndices, promptText, List.of());
  }

  /**
   * The key of a prompt read as token ids (non-empty), the split normalised as in {@link #of}.
   *
   * @param taskHandle the task handle
   * @param split the requested split
   * @param exampleIndices the example subset
   * @param promptTokenIds the ids the task model reads
   * @return the key
   */
  public static RewardCacheKey ofTokenIds(
      String taskHandle, Split split, List<Integer> exampleIndices, List<Integer> promptTokenIds) {
    if (promptTokenIds.isEmpty()) {
      throw new IllegalArgumentException("a token-id key needs the prompt's ids");
    }
    return new RewardCacheKey(taskHandle, normalise(split), exampleIndices, "", promptTokenIds);
  }

  private static Split normalise(Split split) {
    return split == Split.SPLIT_UNSPECIFIED || split == Split.UNRECOGNIZED
        ? Split.SPLIT_TRAIN : split;
  }
}
