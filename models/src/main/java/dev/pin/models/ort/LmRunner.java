package dev.pin.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pin.models.onnx.BertMlmGraph;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Batching shared by the language-model front ends: right-pads token-id sequences to a length
 * bucket, builds the int64 inputs and runs one output of the shared session.
 */
final class LmRunner {
  private final String modelName;
  private final OrtSession session;
  private final OrtConfig config;
  private final int padId;
  private final int vocabSize;
  private final int maxPositions;
  private final boolean tokenTypes;

  LmRunner(String modelName, OrtSession session, OrtConfig config, int padId, int vocabSize,
      int maxPositions, boolean tokenTypes) {
    this.modelName = modelName;
    this.session = session;
    this.config = config;
    this.padId = padId;
    this.vocabSize = vocabSize;
    this.maxPositions = maxPositions;
    this.tokenTypes = tokenTypes;
  }

  int vocabSize() {
    return vocabSize;
  }

  /** Padded length: the longest sequence rounded up to the bucket, capped at max positions. */
  int paddedLength(List<int[]> tokenIds) {
    return PaddedBatch.length(tokenIds, maxPositions, config.lengthBucket());
  }

  static void checkPositions(List<int[]> tokenIds, int[] positions) {
    if (positions.length != tokenIds.size()) {
      throw new IllegalArgumentException(positions.length + " positions for " + tokenIds.size()
          + " sequences");
    }
    for (int b = 0; b < positions.length; b++) {
      if (positions[b] < 0 || positions[b] >= tokenIds.get(b).length) {
        throw new IllegalArgumentException("position " + positions[b] + " outside sequence " + b
            + " of length " + tokenIds.get(b).length);
      }
    }
  }

  /** Rows of {@code flat} ([batch, len, width]) cut to each sequence's own length. */
  static float[][][] unpad(float[] flat, List<int[]> tokenIds, int len, int width) {
    float[][][] out = new float[tokenIds.size()][][];
    for (int b = 0; b < out.length; b++) {
      int n = tokenIds.get(b).length;
      out[b] = new float[n][width];
      for (int t = 0; t < n; t++) {
        System.arraycopy(flat, (b * len + t) * width, out[b][t], 0, width);
      }
    }
    return out;
  }

  /** Logits at one position per sequence, {@code [batch][vocab]}. */
  float[][] logitsAt(List<int[]> tokenIds, int[] positions) throws IOException {
    checkPositions(tokenIds, positions);
    long[][] pos = new long[tokenIds.size()][1];
    for (int b = 0; b < pos.length; b++) {
      pos[b][0] = positions[b];
    }
    float[] flat = run(tokenIds, pos, BertMlmGraph.LOGITS);
    float[][] out = new float[tokenIds.size()][vocabSize];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, b * vocabSize, out[b], 0, vocabSize);
    }
    return out;
  }

  /** Logits at every position, {@code [batch][own length][vocab]}. */
  float[][][] logits(List<int[]> tokenIds) throws IOException {
    int len = paddedLength(tokenIds);
    long[][] pos = new long[tokenIds.size()][len];
    for (long[] row : pos) {
      for (int t = 0; t < len; t++) {
        row[t] = t;
      }
    }
    return unpad(run(tokenIds, pos, BertMlmGraph.LOGITS), tokenIds, len, vocabSize);
  }

  /** Final hidden state at one position per sequence. */
  float[][] hiddenAt(List<int[]> tokenIds, int[] positions, int hidden) throws IOException {
    checkPositions(tokenIds, positions);
    int len = paddedLength(tokenIds);
    float[] flat = run(tokenIds, new long[tokenIds.size()][1], BertMlmGraph.LAST_HIDDEN_STATE);
    float[][] out = new float[tokenIds.size()][hidden];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, (b * len + positions[b]) * hidden, out[b], 0, hidden);
    }
    return out;
  }

  /** Final hidden states, {@code [batch][own length][hidden]}. */
  float[][][] lastHiddenState(List<int[]> tokenIds, int hidden) throws IOException {
    int len = paddedLength(tokenIds);
    float[] flat = run(tokenIds, new long[tokenIds.size()][1], BertMlmGraph.LAST_HIDDEN_STATE);
    return unpad(flat, tokenIds, len, hidden);
  }

  float[] run(List<int[]> tokenIds, long[][] positions, String output) throws IOException {
    int batch = tokenIds.size();
    int len = paddedLength(tokenIds);
    PaddedBatch padded = PaddedBatch.of(tokenIds, len, padId, vocabSize);
    long[] shape = padded.shape;
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      var env = OrtSessions.env();
      padded.putInputs(inputs, BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK);
      if (tokenTypes) {
        inputs.put(BertMlmGraph.TOKEN_TYPE_IDS,
            OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * len]), shape));
      }
      int k = positions[0].length;
      long[] pos = new long[batch * k];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(positions[b], 0, pos, b * k, k);
      }
      inputs.put(BertMlmGraph.POSITIONS,
          OnnxTensor.createTensor(env, LongBuffer.wrap(pos), new long[] {batch, k}));
      try (OrtSession.Result r = session.run(inputs, Set.of(output))) {
        FloatBuffer fb = ((OnnxTensor) r.get(output).orElseThrow()).getFloatBuffer();
        float[] flat = new float[fb.remaining()];
        fb.get(flat);
        return flat;
      }
    } catch (OrtException e) {
      throw new IOException("inference on " + modelName + " failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }
}
