package dev.pin.reward.cache;

import dev.pin.v1.Split;
import java.util.List;
import java.util.Objects;

/**
 * What a reward depends on: the task (its content hash), the split, the example subset and the
 * prompt text the task model reads.
 *
 * @param taskHandle the task handle, e.g. {@code "task-3f2a…"}
 * @param split the split ({@code SPLIT_UNSPECIFIED} should be normalised to train by the caller)
 * @param exampleIndices the example subset; empty means the whole split
 * @param promptText the prompt text
 */
public record RewardCacheKey(
    String taskHandle, Split split, List<Integer> exampleIndices, String promptText) {

  /** Copies the indices so a key never changes after it is stored. */
  public RewardCacheKey {
    Objects.requireNonNull(taskHandle, "taskHandle");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(promptText, "promptText");
    exampleIndices = List.copyOf(exampleIndices);
  }

  /**
   * A key with SPLIT_UNSPECIFIED mapped to SPLIT_TRAIN (the proto's documented default), so both
   * spellings share an entry.
   *
   * @param taskHandle the task handle
   * @param split the requested split
   * @param exampleIndices the example subset
   * @param promptText the prompt text
   * @return the key
   */
  public static RewardCacheKey of(
      String taskHandle, Split split, List<Integer> exampleIndices, String promptText) {
    Split s =
        split == Split.SPLIT_UNSPECIFIED || split == Split.UNRECOGNIZED ? Split.SPLIT_TRAIN : split;
    return new RewardCacheKey(taskHandle, s, exampleIndices, promptText);
  }
}
