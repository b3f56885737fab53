package dev.pin.reward.batching;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Settings of a {@link DynamicBatcher}.
 *
 * @param name metric tag and thread-name part, e.g. the model name
 * @param maxBatchSize most items per model batch (default 32)
 * @param maxWait longest time the oldest queued item waits for a batch to fill (default 5 ms)
 * @param maxQueuedItems queue bound in items; beyond it submits fail fast (default 8192)
 * @param workers concurrent model batches (default 1: one ONNX session already uses every core, so
 *     more in-flight batches only add memory; raise it for a GPU with spare capacity)
 * @param bucketBoundaries ascending upper bounds of the length buckets (default 16, 32, 64, 128,
 *     256, 512); lengths above the last boundary share one bucket
 * @param shutdownGrace how long {@link DynamicBatcher#close} lets queued work finish (default 10 s)
 */
public record BatcherConfig(
    String name,
    int maxBatchSize,
    Duration maxWait,
    int maxQueuedItems,
    int workers,
    int[] bucketBoundaries,
    Duration shutdownGrace) {

  /** Validates the settings. */
  public BatcherConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(maxWait, "maxWait");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
    }
    if (maxQueuedItems < 1) {
      throw new IllegalArgumentException("maxQueuedItems must be >= 1, got " + maxQueuedItems);
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    }
    bucketBoundaries = bucketBoundaries.clone();
    for (int i = 1; i < bucketBoundaries.length; i++) {
      if (bucketBoundaries[i] <= bucketBoundaries[i - 1]) {
        throw new IllegalArgumentException(
            "bucketBoundaries must be strictly ascending: " + Arrays.toString(bucketBoundaries));
      }
    }
  }

  /**
   * The defaults with a name.
   *
   * @param name metric tag and thread-name part
   * @return default settings
   */
  public static BatcherConfig defaults(String name) {
    return new BatcherConfig(
        name,
        32,
        Duration.ofMillis(5),
        8192,
        1,
        new int[] {16, 32, 64, 128, 256, 512},
        Duration.ofSeconds(10));
  }

  /**
   * Length buckets that match a model runner which pads every batch up to a multiple of {@code
   * align} tokens ({@code OrtConfig.lengthBucket}): multiples of {@code align} up to 128, then of
   * 64 up to 512. A batch then pads at most {@code align − 1} tokens per row up to 128 tokens
   * (few-shot inputs are shorter), where buckets of 16, 32, 64 … let a row of 33 tokens pad to 64.
   *
   * @param align the runner's padding multiple
   * @return ascending boundaries
   */
  public static int[] alignedBuckets(int align) {
    if (align < 1 || align > 64) {
      throw new IllegalArgumentException("align must be in 1..64, got " + align);
    }
    List<Integer> out = new ArrayList<>();
    for (int b = align; b <= 128; b += align) {
      out.add(b);
    }
    for (int b = 192; b <= 512; b += 64) {
      out.add(b);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Copy with another name (one batcher per model: the model name).
   *
   * @param newName metric tag and thread-name part
   * @return the new settings
   */
  public BatcherConfig withName(String newName) {
    return new BatcherConfig(
        newName, maxBatchSize, maxWait, maxQueuedItems, workers, bucketBoundaries, shutdownGrace);
  }

  /**
   * Copy with another batch size.
   *
   * @param size most items per batch
   * @return the new settings
   */
  public BatcherConfig withMaxBatchSize(int size) {
    return new BatcherConfig(
        name, size, maxWait, maxQueuedItems, workers, bucketBoundaries, shutdownGrace);
  }

  /**
   * Copy with another waiting time.
   *
   * @param wait longest wait of the oldest item
   * @return the new settings
   */
  public BatcherConfig withMaxWait(Duration wait) {
    return new BatcherConfig(
        name, maxBatchSize, wait, maxQueuedItems, workers, bucketBoundaries, shutdownGrace);
  }

  /**
   * Copy with another queue bound.
   *
   * @param items queue bound in items
   * @return the new settings
   */
  public BatcherConfig withMaxQueuedItems(int items) {
    return new BatcherConfig(
        name, maxBatchSize, maxWait, items, workers, bucketBoundaries, shutdownGrace);
  }

  /**
   * Copy with another worker count.
   *
   * @param count concurrent batches
   * @return the new settings
   */
  public BatcherConfig withWorkers(int count) {
    return new BatcherConfig(
        name, maxBatchSize, maxWait, maxQueuedItems, count, bucketBoundaries, shutdownGrace);
  }

  /**
   * Copy with other length buckets.
   *
   * @param boundaries ascending upper bounds
   * @return the new settings
   */
  public BatcherConfig withBucketBoundaries(int... boundaries) {
    return new BatcherConfig(
        name, maxBatchSize, maxWait, maxQueuedItems, workers, boundaries, shutdownGrace);
  }

  /**
   * Copy with another shutdown grace period.
   *
   * @param grace how long close() lets queued work finish
   * @return the new settings
   */
  public BatcherConfig withShutdownGrace(Duration grace) {
    return new BatcherConfig(
        name, maxBatchSize, maxWait, maxQueuedItems, workers, bucketBoundaries, grace);
  }

  @Override
  public int[] bucketBoundaries() {
    return bucketBoundaries.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatcherConfig c
        && name.equals(c.name)
        && maxBatchSize == c.maxBatchSize
        && maxWait.equals(c.maxWait)
        && maxQueuedItems == c.maxQueuedItems
        && workers == c.workers
        && Arrays.equals(bucketBoundaries, c.bucketBoundaries)
        && shutdownGrace.equals(c.shutdownGrace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, maxBatchSize, maxWait, maxQueuedItems, workers, shutdownGrace) * 31
        + Arrays.hashCode(bucketBoundaries);
  }

  @Override
  public String toString() {
    return "BatcherConfig[name="
        + name
        + ", maxBatchSize="
        + maxBatchSize
        + ", maxWait="
        + maxWait
        + ", maxQueuedItems="
        + maxQueuedItems
        + ", workers="
        + workers
        + ", bucketBoundaries="
        + Arrays.toString(bucketBoundaries)
        + ", shutdownGrace="
        + shutdownGrace
        + "]";
  }
}
