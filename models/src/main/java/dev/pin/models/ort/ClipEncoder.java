package dev.pin.models.ort;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.pin.models.onnx.ClipGraph;
import dev.pin.models.onnx.Precision;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.tokenizer.ClipTokenizer;
import dev.pin.models.writer.ClipModelWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A CLIP model (architecture {@code clip}) on ONNX Runtime: the text tower embeds prompts, the
 * vision tower embeds preprocessed images (ALGORITHMS.md §6.3). Both return the unnormalised
 * projections. Texts are tokenized with {@link ClipTokenizer} (at most 77 tokens, specials
 * included) and right-padded with {@code <|endoftext|>} under a zero attention mask, which the
 * causal mask already hides from the end-of-text position. Thread-safe; the caller closes it
 * (the tokenizer; sessions belong to the {@link OrtSessions} registry).
 */
public final class ClipEncoder implements AutoCloseable {
  private final ModelDir model;
  private final OrtSession text;
  private final OrtSession vision;
  private final ClipTokenizer tokenizer;
  private final OrtConfig config;
  private final ModelManifest.ImagePreprocessing image;

  private ClipEncoder(ModelDir model, OrtSession text, OrtSession vision,
      ClipTokenizer tokenizer, OrtConfig config) {
    this.model = model;
    this.text = text;
    this.vision = vision;
    this.tokenizer = tokenizer;
    this.config = config;
    this.image = model.manifest().imagePreprocessing();
  }

  /** Opens {@code model} through {@code sessions} (float32 graphs; CLIP has no int8 variant). */
  public static ClipEncoder open(ModelDir model, OrtConfig config, OrtSessions sessions)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!ModelManifest.ARCH_CLIP.equals(m.architecture())) {
      throw new IllegalArgumentException("model " + model.name() + " has architecture "
          + m.architecture() + ", not " + ModelManifest.ARCH_CLIP);
    }
    if (m.imagePreprocessing() == null) {
      throw new IOException("model " + model.name() + " manifest lacks image_preprocessing"
          + " (re-import it)");
    }
    OrtConfig fp32 = config.withPrecision(Precision.FP32);
    OrtSession text = sessions.session(model.modelFile(), fp32);
    OrtSession vision = sessions.session(model.dir().resolve(
        m.file(ClipModelWriter.VISION_ROLE)), fp32);
    ClipTokenizer tokenizer = ClipTokenizer.open(model.dir().resolve(m.file("tokenizer")),
        m.specialId("bos"), m.specialId("eos"), m.maxPositions());
    return new ClipEncoder(model, text, vision, tokenizer, fp32);
  }

  /** The manifest. */
  public ModelManifest manifest() {
    return model.manifest();
  }

  /** The vision tower's preprocessing. */
  public ModelManifest.ImagePreprocessing imagePreprocessing() {
    return image;
  }

  /** The tokenizer. */
  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  /** Width of both embeddings. */
  public int embeddingDim() {
    return model.manifest().hiddenSize();
  }

  /** {@code text_embeds} of each text, {@code [texts][dim]}. */
  public float[][] embedTexts(List<String> texts) throws IOException {
    return embedTokenIds(texts.stream().map(tokenizer::encode).toList());
  }

  /**
   * {@code text_embeds} of token-id sequences (each with its {@code <|startoftext|>} and
   * {@code <|endoftext|>}), {@code [batch][dim]}.
   */
  public float[][] embedTokenIds(List<int[]> tokenIds) throws IOException {
    if (tokenIds.isEmpty()) {
      return new float[0][];
    }
    int batch = tokenIds.size();
    int max = 0;
    for (int[] ids : tokenIds) {
      if (ids.length == 0 || ids.length > manifest().maxPositions()) {
        throw new IllegalArgumentException("CLIP text of " + ids.length + " tokens; give 1 to "
            + manifest().maxPositions());
      }
      max = Math.max(max, ids.length);
    }
    int bucket = config.lengthBucket();
    int len = Math.min(manifest().maxPositions(), (max + bucket - 1) / bucket * bucket);
    PaddedBatch padded = PaddedBatch.of(tokenIds, len, tokenizer.endId(),
        manifest().vocabSize());
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      padded.putInputs(inputs, ClipGraph.INPUT_IDS, ClipGraph.ATTENTION_MASK);
      return rows(run(text, inputs, ClipGraph.TEXT_EMBEDS), batch);
    } catch (OrtException e) {
      throw new IOException("CLIP text tower of " + model.name() + " failed: " + e.getMessage(),
          e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** {@code image_embeds} of preprocessed images (each {@code [3·N·N]}, CHW), {@code [n][dim]}. */
  public float[][] embedPixels(List<float[]> pixels) throws IOException {
    if (pixels.isEmpty()) {
      return new float[0][];
    }
    int n = image.imageSize();
    int plane = 3 * n * n;
    float[] flat = new float[pixels.size() * plane];
    for (int i = 0; i < pixels.size(); i++) {
      float[] p = pixels.get(i);
      if (p.length != plane) {
        throw new IllegalArgumentException("image " + i + " has " + p.length + " values; the "
            + "vision tower takes 3×" + n + "×" + n + " = " + plane);
      }
      System.arraycopy(p, 0, flat, i * plane, plane);
    }
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(ClipGraph.PIXEL_VALUES, OnnxTensor.createTensor(OrtSessions.env(),
          FloatBuffer.wrap(flat), new long[] {pixels.size(), 3, n, n}));
      return rows(run(vision, inputs, ClipGraph.IMAGE_EMBEDS), pixels.size());
    } catch (OrtException e) {
      throw new IOException("CLIP vision tower of " + model.name() + " failed: "
          + e.getMessage(), e);
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  private static float[] run(OrtSession session, Map<String, OnnxTensor> inputs, String output)
      throws OrtException {
    try (OrtSession.Result r = session.run(inputs, Set.of(output))) {
      FloatBuffer fb = ((OnnxTensor) r.get(output).orElseThrow()).getFloatBuffer();
      float[] flat = new float[fb.remaining()];
      fb.get(flat);
      return flat;
    }
  }

  private static float[][] rows(float[] flat, int batch) {
    int dim = flat.length / batch;
    float[][] out = new float[batch][dim];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(flat, b * dim, out[b], 0, dim);
    }
    return out;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
