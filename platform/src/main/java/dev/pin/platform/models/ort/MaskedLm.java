package dev.pin.platform.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pin.platform.models.onnx.BertMlmGraph;
import dev.pin.platform.models.store.ModelDir;
import dev.pin.platform.models.store.ModelManifest;
import dev.pin.platform.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BERT masked LM (architecture {@code bert-mlm}) on ONNX Runtime, for callers that feed token
 * ids: the reward service's masked task LM, the policy's backbone (ALGORITHMS.md §2: hidden state
 * at the {@code [MASK]} of {@code [CLS] z_0 … z_{t-1} [MASK] [SEP]}) and the scorer's
 * pseudo-perplexity (§7.3).
 *
 * <p>Batches of unequal lengths are right-padded with {@code [PAD]} (attention mask 0) to a
 * multiple of {@link OrtConfig#lengthBucket()}. Thread-safe: the session is shared and every call
 * allocates its own tensors.
 */
public final class MaskedLm {
  private final ModelDir model;
  private final OrtSession session;
  private final OrtConfig config;
  private final WordPieceTokenizer tokenizer;
  private final int padId;

  private MaskedLm(ModelDir model, OrtSession session, OrtConfig config) throws IOException {
    if (!ModelManifest.ARCH_BERT_MLM.equals(model.manifest().architecture())) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + model.manifest().architecture() + ", not " + ModelManifest.ARCH_BERT_MLM);
    }
    this.model = model;
    this.session = session;
    this.config = config;
    this.tokenizer = model.tokenizer();
    this.padId = model.manifest().specialId("pad");
  }

  /** Opens {@code model} through the process-wide {@link OrtSessions#shared()} registry. */
  public static MaskedLm open(ModelDir model, OrtConfig config) throws IOException {
    return open(model, config, OrtSessions.shared());
  }

  /** Opens {@code model} through {@code sessions}. */
  public static MaskedLm open(ModelDir model, OrtConfig config, OrtSessions sessions)
      throws IOException {
    return new MaskedLm(model, sessions.session(model.modelFile(config.precision()), config),
        config);
  }

  /** The model directory. */
  public ModelDir model() {
    return model;
  }

  /** The manifest (special-token ids, sizes). */
  public ModelManifest manifest() {
    return model.manifest();
  }

  /** The model's tokenizer. */
  public WordPieceTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Vocabulary logits at one position per sequence: row {@code b} is the MLM head's output at
   * {@code positions[b]} of {@code tokenIds.get(b)}. Only that position goes through the head.
   */
  public float[][] logitsAt(List<int[]> tokenIds, int[] positions) throws IOException {
    checkPositions(tokenIds, positions);
    int vocab = manifest().vocabSize();
    long[][] pos = new long[tokenIds.size()][1];
    for (int b = 0; b < pos.length; b++) {
      pos[b][0] = positions[b];
    }
    float[] flat = run(tokenIds, pos, BertMlmGraph.LOGITS);
    float[][] out = new float[tokenIds.size()][vocab];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, b * vocab, out[b], 0, vocab);
    }
    return out;
  }

  /** Final-layer hidden state at one position per sequence ({@code [batch][hidden]}). */
  public float[][] hiddenAt(List<int[]> tokenIds, int[] positions) throws IOException {
    checkPositions(tokenIds, positions);
    int h = manifest().hiddenSize();
    int len = paddedLength(tokenIds);
    float[] flat = run(tokenIds, new long[tokenIds.size()][1], BertMlmGraph.LAST_HIDDEN_STATE);
    float[][] out = new float[tokenIds.size()][h];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, (b * len + positions[b]) * h, out[b], 0, h);
    }
    return out;
  }

  /** Final-layer hidden states, {@code [batch][length of that sequence][hidden]}. */
  public float[][][] lastHiddenState(List<int[]> tokenIds) throws IOException {
    int h = manifest().hiddenSize();
    int len = paddedLength(tokenIds);
    float[] flat = run(tokenIds, new long[tokenIds.size()][1], BertMlmGraph.LAST_HIDDEN_STATE);
    return unpad(flat, tokenIds, len, h);
  }

  /** Logits at every position, {@code [batch][length of that sequence][vocab]}. */
  public float[][][] logits(List<int[]> tokenIds) throws IOException {
    int v = manifest().vocabSize();
    int len = paddedLength(tokenIds);
    long[][] pos = new long[tokenIds.size()][len];
    for (long[] row : pos) {
      for (int t = 0; t < len; t++) {
        row[t] = t;
      }
    }
    float[] flat = run(tokenIds, pos, BertMlmGraph.LOGITS);
    return unpad(flat, tokenIds, len, v);
  }

  private static float[][][] unpad(float[] flat, List<int[]> tokenIds, int len, int width) {
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

  private void checkPositions(List<int[]> tokenIds, int[] positions) {
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

  /** Padded length: the longest sequence rounded up to the bucket, capped at max positions. */
  int paddedLength(List<int[]> tokenIds) {
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
    int limit = manifest().maxPositions();
    if (max > limit) {
      throw new IllegalArgumentException("sequence of " + max + " tokens exceeds the model's "
          + limit + " positions");
    }
    int bucket = config.lengthBucket();
    return Math.min(limit, (max + bucket - 1) / bucket * bucket);
  }

  private float[] run(List<int[]> tokenIds, long[][] positions, String output)
      throws IOException {
    int batch = tokenIds.size();
    int len = paddedLength(tokenIds);
    int vocab = manifest().vocabSize();
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
    long[] shape = {batch, len};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      var env = OrtSessions.env();
      inputs.put(BertMlmGraph.INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put(BertMlmGraph.ATTENTION_MASK,
          OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      inputs.put(BertMlmGraph.TOKEN_TYPE_IDS,
          OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * len]), shape));
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
      throw new IOException("inference on " + model.name() + " failed: " + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }
}
