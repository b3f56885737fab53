package dev.pin.reward.scoring;

import dev.pin.reward.batching.BatcherConfig;
import java.util.Objects;

/**
 * Settings of the {@link RewardEngine}.
 *
 * @param batching batching settings used for every task model's batcher (the name is replaced by
 *     the model name)
 * @param cacheEntries reward cache bound in entries (default 20 000; 0 disables it). An entry keeps
 *     the per-example rewards and details, roughly 100 bytes per example of the scored subset
 * @param scoringThreads threads for style-transfer, image and custom scoring (default 2: these
 *     calls run whole model pipelines that already use several cores each)
 */
public record RewardEngineConfig(BatcherConfig batching, int cacheEntries, int scoringThreads) {

  /** Validates the settings. */
  public RewardEngineConfig {
    Objects.requireNonNull(batching, "batching");
    if (cacheEntries < 0) {
      throw new IllegalArgumentException("cacheEntries must be >= 0, got " + cacheEntries);
    }
    if (scoringThreads < 1) {
      throw new IllegalArgumentException("scoringThreads must be >= 1, got " + scoringThreads);
    }
  }

  /**
   * The defaults.
   *
   * @return default settings
   */
  public static RewardEngineConfig defaults() {
    return new RewardEngineConfig(BatcherConfig.defaults("model"), 20_000, 2);
  }
}
