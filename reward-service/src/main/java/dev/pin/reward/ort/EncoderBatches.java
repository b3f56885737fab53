package dev.pin.reward.ort;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Length-sorted batching for the encoder adapters: texts are grouped with their neighbours in
 * length, so a batch pads to little more than its own longest sequence, and the results come back
 * in the caller's order.
 */
final class EncoderBatches {
  private EncoderBatches() {}

  /** Computes one result per sequence in batches of at most {@code maxBatch}. */
  @FunctionalInterface
  interface Batch<T> {
    /** Results for {@code ids}, in order. */
    List<T> run(List<int[]> ids) throws java.io.IOException;
  }

  /**
   * Runs {@code batch} over {@code ids} sorted by length, at most {@code maxBatch} at a time.
   *
   * @return results in the order of {@code ids}
   */
  static <T> List<T> run(List<int[]> ids, int maxBatch, Batch<T> batch)
      throws java.io.IOException {
    Integer[] order = new Integer[ids.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length));
    List<T> out = new ArrayList<>(java.util.Collections.nCopies(ids.size(), null));
    for (int from = 0; from < order.length; from += maxBatch) {
      int to = Math.min(order.length, from + maxBatch);
      List<int[]> chunk = new ArrayList<>(to - from);
      for (int k = from; k < to; k++) {
        chunk.add(ids.get(order[k]));
      }
      List<T> res = batch.run(chunk);
      for (int k = from; k < to; k++) {
        out.set(order[k], res.get(k - from));
      }
    }
    return out;
  }

  /** The first {@code max - 1} tokens and the final one (the closing [SEP] or </s>). */
  static int[] truncate(int[] ids, int max) {
    if (ids.length <= max) {
      return ids;
    }
    int[] out = Arrays.copyOf(ids, max);
    out[max - 1] = ids[ids.length - 1];
    return out;
  }
}
