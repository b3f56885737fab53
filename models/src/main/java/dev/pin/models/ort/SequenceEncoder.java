package dev.pin.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pin.models.onnx.BertMlmGraph;
import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.onnx.SequenceClassifierGraph;
import dev.pin.models.onnx.TextEncoderGraph;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A BERT-family encoder graph with the three text inputs ({@code input_ids}, {@code
 * attention_mask}, {@code token_type_ids}) on ONNX Runtime: a sequence classifier's {@code logits
 * [batch, labels]} ({@code bert-cls}, {@code roberta-cls}), or the hidden states of one layer of
 * any encoder ({@link TextEncoderGraph}, built in memory from the stored weights on first use).
 *
 * <p>Batches of unequal lengths are right-padded with the pad token under a zero attention mask to
 * a multiple of {@link OrtConfig#lengthBucket()}; padding changes no real position's output
 * (RoBERTa's position ids skip it too). Thread-safe.
 */
public final class SequenceEncoder {
  private final ModelDir model;
  private final TextTokenizer tokenizer;
  private final OrtSession session;
  private final String output;
  private final int width;
  private final OrtConfig config;

  private SequenceEncoder(ModelDir model, TextTokenizer tokenizer, OrtSession session,
      String output, int width, OrtConfig config) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.session = session;
    this.output = output;
    this.width = width;
    this.config = config;
  }

  /**
   * A sequence classifier's logits.
   *
   * @throws IllegalArgumentException when {@code model} is not {@code bert-cls}/{@code
   *     roberta-cls}
   */
  public static SequenceEncoder classifier(ModelDir model, OrtConfig config, OrtSessions sessions)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!ModelManifest.ARCH_BERT_CLS.equals(m.architecture())
        && !ModelManifest.ARCH_ROBERTA_CLS.equals(m.architecture())) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + m.architecture() + ", not a sequence classifier (" + ModelManifest.ARCH_BERT_CLS
          + ", " + ModelManifest.ARCH_ROBERTA_CLS + ")");
    }
    if (m.labels() == null || m.labels().size() < 2) {
      throw new IOException("classifier " + model.name() + " lists no labels in its manifest");
    }
    return new SequenceEncoder(model, model.textTokenizer(),
        sessions.session(model.modelFile(), config), m.output("logits"), m.labels().size(),
        config);
  }

  /**
   * The hidden states after encoder layer {@code layer} of any BERT-family model (HF's
   * {@code hidden_states[layer]}; 0 means the final layer, as in the task spec's
   * {@code content_layer}).
   */
  public static SequenceEncoder hiddenStates(ModelDir model, int layer, OrtConfig config,
      OrtSessions sessions) throws IOException {
    ModelManifest m = model.manifest();
    if (!m.isEncoder()) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + m.architecture() + ", not a BERT-family encoder");
    }
    int n = layer == 0 ? m.numLayers() : layer;
    if (n < 1 || n > m.numLayers()) {
      throw new IllegalArgumentException("layer " + layer + " outside 1.." + m.numLayers()
          + " of model " + model.name() + " (0 = the final layer)");
    }
    OrtSession session = sessions.derivedSession(
        model.modelFile().toAbsolutePath() + "#" + TextEncoderGraph.HIDDEN_STATES + "." + n,
        config, () -> {
          OnnxWeights w = OnnxWeights.read(model.modelFile());
          EncoderSpec spec = EncoderSpec.of(model, w);
          return TextEncoderGraph.build(spec.config(), w, n, spec.positionPaddingIdx(),
              model.name() + " hidden states of layer " + n).toByteArray();
        });
    return new SequenceEncoder(model, model.textTokenizer(), session,
        TextEncoderGraph.HIDDEN_STATES, m.hiddenSize(), config);
  }

  /** The model directory. */
  public ModelDir model() {
    return model;
  }

  /** The model's tokenizer ({@link TextTokenizer#encode} gives the framed input). */
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  /** Classifier logits, {@code [batch][labels]}. */
  public float[][] logits(List<int[]> tokenIds) throws IOException {
    if (!output.equals(SequenceClassifierGraph.LOGITS)) {
      throw new IllegalStateException(model.name() + " was opened for hidden states");
    }
    float[] flat = run(tokenIds);
    float[][] out = new float[tokenIds.size()][width];
    for (int b = 0; b < out.length; b++) {
      System.arraycopy(flat, b * width, out[b], 0, width);
    }
    return out;
  }

  /** Hidden states, {@code [batch][own length][hidden]}. */
  public float[][][] hiddenStates(List<int[]> tokenIds) throws IOException {
    if (!output.equals(TextEncoderGraph.HIDDEN_STATES)) {
      throw new IllegalStateException(model.name() + " was opened as a classifier");
    }
    float[] flat = run(tokenIds);
    return LmRunner.unpad(flat, tokenIds, paddedLength(tokenIds), width);
  }

  int paddedLength(List<int[]> tokenIds) {
    return PaddedBatch.length(tokenIds, model.manifest().maxPositions(), config.lengthBucket());
  }

  private float[] run(List<int[]> tokenIds) throws IOException {
    int batch = tokenIds.size();
    int len = paddedLength(tokenIds);
    int padId = model.manifest().specialId("pad");
    int vocab = model.manifest().vocabSize();
    PaddedBatch padded = PaddedBatch.of(tokenIds, len, padId, vocab);
    long[] shape = padded.shape;
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      var env = OrtSessions.env();
      padded.putInputs(inputs, BertMlmGraph.INPUT_IDS, BertMlmGraph.ATTENTION_MASK);
      inputs.put(BertMlmGraph.TOKEN_TYPE_IDS,
          OnnxTensor.createTensor(env, LongBuffer.wrap(new long[batch * len]), shape));
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
