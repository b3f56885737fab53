package dev.pin.models.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.CausalLayout;
import dev.pin.models.store.ModelManifest;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs any causal-LM graph of the model store — pin's own GPT-2/OPT graphs or an imported optimum
 * export — through one interface: it finds which inputs the graph has ({@code positions} or not,
 * {@code position_ids} or not, a key/value cache or not) from the session's metadata, feeds
 * zero-length caches to full forwards, and reads logits whether the graph computes them at
 * selected positions or everywhere. Thread-safe (ORT sessions are).
 */
final class CausalRunner {
  private final String modelName;
  private final OrtSession session;
  private final OrtConfig config;
  private final int padId;
  private final int vocabSize;
  private final int maxPositions;
  private final int hiddenSize;
  /** Position id fed for padding columns when the graph takes position_ids (HF conventions). */
  private final long padPositionId;
  private final boolean positions;
  private final boolean positionIds;
  private final boolean tokenTypes;
  private final String logits;
  private final String hidden;
  private final String[] pastKeys;
  private final String[] pastValues;
  private final String[] presentKeys;
  private final String[] presentValues;
  private final int heads;
  private final int headSize;

  CausalRunner(String modelName, OrtSession session, OrtConfig config, ModelManifest m,
      long padPositionId) throws IOException {
    this.modelName = modelName;
    this.session = session;
    this.config = config;
    this.padId = m.specialId("pad");
    this.vocabSize = m.vocabSize();
    this.maxPositions = m.maxPositions();
    this.hiddenSize = m.hiddenSize();
    this.padPositionId = padPositionId;
    try {
      Set<String> in = session.getInputNames();
      Set<String> out = session.getOutputNames();
      for (String required : List.of(BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK)) {
        if (!in.contains(required)) {
          throw new IOException("model " + modelName + " graph lacks input " + required
              + " (inputs: " + in + ")");
        }
      }
      positions = in.contains(BertMlmGraph.POSITIONS);
      positionIds = in.contains(CausalLayout.POSITION_IDS);
      tokenTypes = in.contains(BertMlmGraph.TOKEN_TYPE_IDS);
      logits = m.outputs() != null && m.outputs().containsKey("logits") ? m.output("logits")
          : BertMlmGraph.LOGITS;
      String h = m.outputs() == null ? null : m.outputs().get("last_hidden_state");
      hidden = h != null && out.contains(h) ? h : null;
      int layers = 0;
      while (in.contains(CausalLayout.pastName(layers, "key"))) {
        layers++;
      }
      pastKeys = new String[layers];
      pastValues = new String[layers];
      presentKeys = new String[layers];
      presentValues = new String[layers];
      for (int i = 0; i < layers; i++) {
        pastKeys[i] = CausalLayout.pastName(i, "key");
        pastValues[i] = CausalLayout.pastName(i, "value");
        presentKeys[i] = outputName(m, CausalLayout.presentName(i, "key"));
        presentValues[i] = outputName(m, CausalLayout.presentName(i, "value"));
        if (!in.contains(pastValues[i])) {
          throw new IOException("model " + modelName + " graph has " + pastKeys[i] + " but no "
              + pastValues[i]);
        }
        for (String n : List.of(presentKeys[i], presentValues[i])) {
          if (!out.contains(n)) {
            throw new IOException("model " + modelName + " graph takes " + pastKeys[i]
                + " but emits no " + n + " (outputs: " + out + ")");
          }
        }
      }
      if (layers > 0) {
        NodeInfo info = session.getInputInfo().get(pastKeys[0]);
        long[] shape = ((TensorInfo) info.getInfo()).getShape();
        if (shape.length != 4 || shape[1] <= 0 || shape[3] <= 0) {
          throw new IOException("model " + modelName + " cache input " + pastKeys[0]
              + " has shape " + java.util.Arrays.toString(shape)
              + "; expected [batch, heads, past, head] with fixed heads and head size");
        }
        heads = (int) shape[1];
        headSize = (int) shape[3];
      } else {
        heads = 0;
        headSize = 0;
      }
    } catch (OrtException e) {
      throw new IOException("cannot read the inputs of " + modelName + ": " + e.getMessage(), e);
    }
  }

  private static String outputName(ModelManifest m, String role) {
    String o = m.outputs() == null ? null : m.outputs().get(role);
    return o != null ? o : role;
  }

  String modelName() {
    return modelName;
  }

  int vocabSize() {
    return vocabSize;
  }

  int padId() {
    return padId;
  }

  int maxPositions() {
    return maxPositions;
  }

  boolean hasCache() {
    return pastKeys.length > 0;
  }

  boolean hasHidden() {
    return hidden != null;
  }

  int layers() {
    return pastKeys.length;
  }

  String presentKey(int layer) {
    return presentKeys[layer];
  }

  String presentValue(int layer) {
    return presentValues[layer];
  }

  String logitsName() {
    return logits;
  }

  String hiddenName() {
    if (hidden == null) {
      throw new IllegalStateException("model " + modelName + " graph has no last_hidden_state"
          + " output, so it cannot give hidden states (export it with hidden states, or use a"
          + " model converted by pin models import)");
    }
    return hidden;
  }

  int hiddenSize() {
    return hiddenSize;
  }

  /**
   * One forward. {@code ids} is {@code [batch, seq]} and {@code mask} {@code [batch, total]}
   * (row-major); {@code positions} ({@code [batch, k]}) is used only when the graph takes it;
   * {@code past} holds per layer the key then value tensors of {@code total − seq} columns, or
   * null for none. The caller closes the result.
   */
  OrtSession.Result run(long[] ids, long[] mask, int batch, int seq, long[][] pos,
      List<OnnxTensor> past, Set<String> outputs) throws IOException {
    int total = mask.length / batch;
    for (long id : ids) {
      if (id < 0 || id >= vocabSize) {
        throw new IllegalArgumentException("token id " + id + " outside vocabulary of "
            + vocabSize);
      }
    }
    var env = OrtSessions.env();
    Map<String, OnnxTensor> inputs = new HashMap<>();
    List<OnnxTensor> created = new ArrayList<>();
    try {
      created.add(put(inputs, BertMlmGraph.INPUT_IDS,
          OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {batch, seq})));
      created.add(put(inputs, BertMlmGraph.ATTENTION_MASK,
          OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {batch, total})));
      if (tokenTypes) {
        created.add(put(inputs, BertMlmGraph.TOKEN_TYPE_IDS, OnnxTensor.createTensor(env,
            LongBuffer.wrap(new long[batch * seq]), new long[] {batch, seq})));
      }
      if (positions) {
        int k = pos[0].length;
        long[] flat = new long[batch * k];
        for (int b = 0; b < batch; b++) {
          System.arraycopy(pos[b], 0, flat, b * k, k);
        }
        created.add(put(inputs, BertMlmGraph.POSITIONS,
            OnnxTensor.createTensor(env, LongBuffer.wrap(flat), new long[] {batch, k})));
      }
      if (positionIds) {
        created.add(put(inputs, CausalLayout.POSITION_IDS, OnnxTensor.createTensor(env,
            LongBuffer.wrap(positionIds(mask, batch, seq)), new long[] {batch, seq})));
      }
      for (int i = 0; i < pastKeys.length; i++) {
        if (past != null) {
          inputs.put(pastKeys[i], past.get(2 * i));
          inputs.put(pastValues[i], past.get(2 * i + 1));
        } else {
          long[] shape = {batch, heads, 0, headSize};
          created.add(put(inputs, pastKeys[i],
              OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape)));
          created.add(put(inputs, pastValues[i],
              OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape)));
        }
      }
      return session.run(inputs, outputs);
    } catch (OrtException e) {
      throw new IOException("inference on " + modelName + " failed: " + e.getMessage(), e);
    } finally {
      created.forEach(OnnxTensor::close);
    }
  }

  private static OnnxTensor put(Map<String, OnnxTensor> inputs, String name, OnnxTensor t) {
    inputs.put(name, t);
    return t;
  }

  /** HF's {@code cumsum(mask) − 1} for the last {@code seq} columns; padding gets its own id. */
  private long[] positionIds(long[] mask, int batch, int seq) {
    int total = mask.length / batch;
    long[] out = new long[batch * seq];
    for (int b = 0; b < batch; b++) {
      long cum = 0;
      for (int t = 0; t < total; t++) {
        cum += mask[b * total + t];
        if (t >= total - seq) {
          out[b * seq + t - (total - seq)] = mask[b * total + t] == 0 ? padPositionId : cum - 1;
        }
      }
    }
    return out;
  }

  /** Reads a float output whole. */
  static float[] floats(OrtSession.Result r, String name) {
    FloatBuffer fb = ((OnnxTensor) r.get(name).orElseThrow(() -> new IllegalStateException(
        "graph output " + name + " missing"))).getFloatBuffer();
    float[] flat = new float[fb.remaining()];
    fb.get(flat);
    return flat;
  }

  // ---- full forwards over right-padded batches (the CausalLm methods that predate the cache) --

  /** Padded length: the longest sequence rounded up to the bucket, capped at max positions. */
  private int paddedLength(List<int[]> tokenIds) {
    return PaddedBatch.length(tokenIds, maxPositions, config.lengthBucket());
  }

  /** Right-padded full forward; returns {@code output} flattened and the padded length. */
  private float[] full(List<int[]> tokenIds, long[][] pos, String output, int len)
      throws IOException {
    PaddedBatch padded = PaddedBatch.of(tokenIds, len, padId, vocabSize);
    Set<String> outs = new HashSet<>(Set.of(output));
    try (OrtSession.Result r =
        run(padded.ids, padded.mask, tokenIds.size(), len, pos, null, outs)) {
      return floats(r, output);
    }
  }

  float[][] logitsAt(List<int[]> tokenIds, int[] at) throws IOException {
    LmRunner.checkPositions(tokenIds, at);
    int len = paddedLength(tokenIds);
    float[][] out = new float[tokenIds.size()][vocabSize];
    if (positions) {
      long[][] pos = new long[tokenIds.size()][1];
      for (int b = 0; b < pos.length; b++) {
        pos[b][0] = at[b];
      }
      float[] flat = full(tokenIds, pos, logits, len);
      for (int b = 0; b < out.length; b++) {
        System.arraycopy(flat, b * vocabSize, out[b], 0, vocabSize);
      }
    } else {
      float[] flat = full(tokenIds, null, logits, len);
      for (int b = 0; b < out.length; b++) {
        System.arraycopy(flat, (b * len + at[b]) * vocabSize, out[b], 0, vocabSize);
      }
    }
    return out;
  }

  float[][][] logits(List<int[]> tokenIds) throws IOException {
    int len = paddedLength(tokenIds);
    long[][] pos = null;
    if (positions) {
      pos = new long[tokenIds.size()][len];
      for (long[] row : pos) {
        for (int t = 0; t < len; t++) {
          row[t] = t;
        }
      }
    }
    return LmRunner.unpad(full(tokenIds, pos, logits, len), tokenIds, len, vocabSize);
  }

  float[][][] lastHiddenState(List<int[]> tokenIds) throws IOException {
    int len = paddedLength(tokenIds);
    float[] flat = full(tokenIds, new long[tokenIds.size()][1], hiddenName(), len);
    return LmRunner.unpad(flat, tokenIds, len, hiddenSize);
  }

  float[][] hiddenAt(List<int[]> tokenIds, int[] at) throws IOException {
    LmRunner.checkPositions(tokenIds, at);
    int len = paddedLength(tokenIds);
    float[] flat = full(tokenIds, new long[tokenIds.size()][1], hiddenName(), len);
    float[][] out = new float[tokenIds.size()][hiddenSize];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, (b * len + at[b]) * hiddenSize, out[b], 0, hiddenSize);
    }
    return out;
  }
}
