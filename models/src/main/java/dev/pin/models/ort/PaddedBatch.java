package dev.pin.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.nio.LongBuffer;
import java.util.List;
import java.util.Map;

/**
 * A right-padded batch of token-id sequences as the int64 {@code input_ids} and
 * {@code attention_mask} ({@code [batch, len]}) the text encoders and language models take.
 */
final class PaddedBatch {
  final long[] ids;
  final long[] mask;
  final long[] shape;

  private PaddedBatch(long[] ids, long[] mask, long[] shape) {
    this.ids = ids;
    this.mask = mask;
    this.shape = shape;
  }

  /**
   * Padded length: the longest sequence rounded up to {@code bucket}, capped at
   * {@code maxPositions}.
   *
   * @throws IllegalArgumentException for an empty batch, an empty sequence, or one longer than
   *     {@code maxPositions}
   */
  static int length(List<int[]> tokenIds, int maxPositions, int bucket) {
    if (tokenIds.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int max = 0;
    for (int[] ids : tokenIds) {
      if (ids.length == 0) {
        throw new IllegalArgumentException("empty sequence in batch");
      }
      max = Math.max(max, ids.length);
    }
    if (max > maxPositions) {
      throw new IllegalArgumentException("sequence of " + max + " tokens exceeds the model's "
          + maxPositions + " positions");
    }
    return Math.min(maxPositions, (max + bucket - 1) / bucket * bucket);
  }

  /**
   * {@code tokenIds} padded with {@code padId} to {@code len}; the mask is 1 on real tokens.
   *
   * @throws IllegalArgumentException for a token id outside {@code [0, vocab)}
   */
  static PaddedBatch of(List<int[]> tokenIds, int len, int padId, int vocab) {
    int batch = tokenIds.size();
    long[] ids = new long[batch * len];
    long[] mask = new long[batch * len];
    for (int b = 0; b < batch; b++) {
      int[] seq = tokenIds.get(b);
      for (int t = 0; t < len; t++) {
        if (t < seq.length) {
          if (seq[t] < 0 || seq[t] >= vocab) {
            throw new IllegalArgumentException("token id " + seq[t] + " outside vocabulary of "
                + vocab);
          }
          ids[b * len + t] = seq[t];
          mask[b * len + t] = 1;
        } else {
          ids[b * len + t] = padId;
        }
      }
    }
    return new PaddedBatch(ids, mask, new long[] {batch, len});
  }

  /**
   * Adds the ids and mask tensors to {@code inputs} under the graph's names; the caller closes
   * what {@code inputs} holds, also when this throws.
   */
  void putInputs(Map<String, OnnxTensor> inputs, String idsName, String maskName)
      throws OrtException {
    var env = OrtSessions.env();
    inputs.put(idsName, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
    inputs.put(maskName, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
  }
}
