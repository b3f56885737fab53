package dev.pin.policy.torch;

import static dev.pin.policy.torch.Blocks.lookup;
import static dev.pin.policy.torch.Blocks.scoped;
import static dev.pin.policy.torch.Blocks.selfAttention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.pin.models.onnx.ClipConfig;
import dev.pin.models.onnx.ClipTextSpec;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.policy.algorithm.DifferentiableTextTower;
import dev.pin.policy.algorithm.Scalars;
import dev.pin.policy.torch.Blocks.Dense;
import dev.pin.policy.torch.Blocks.Norm;
import dev.pin.policy.torch.Blocks.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A frozen CLIP text tower (and its projection) on DJL's PyTorch engine that takes input
 * <em>embeddings</em>, so PEZ's image inversion (ALGORITHMS.md §7.1) can splice a prompt in as
 * vectors between {@code <|startoftext|>} and {@code <|endoftext|>} and take d loss / d prompt
 * under a {@code GradientCollector}; ONNX Runtime gives no gradients.
 *
 * <p>The weights are the float32 ONNX text graph's own initialisers ({@link OnnxWeights}), and
 * the sizes, activation, LayerNorm epsilon and pooling rule are read from that graph ({@link
 * ClipTextSpec}), so this tower and the reward service's {@code ClipEncoder} compute the same
 * function. The maths is {@code ClipGraph}'s: token + learned position embeddings; per layer
 * (pre-LN) x + attention(LayerNorm1(x)) under the additive mask {@code (1 − causal·padding)·
 * −10000}, then x + fc2(act(fc1(LayerNorm2(x)))) with quick-GELU {@code x·σ(1.702x)} or exact
 * GELU; the final LayerNorm; the hidden state at the end-of-text position; the bias-free text
 * projection. The output is unnormalised, as the graph's {@code text_embeds}.
 *
 * <p>The weights never require gradients, so a backward pass reaches only the caller's leaves.
 * DJL's gradient collector is process-wide: callers serialise their backward passes (the
 * policies' {@code PolicyState.AUTOGRAD} lock). Memory as {@link TorchMaskedLm}: weights in a
 * sub-manager freed by {@link #close}, each forward in an NDScope ({@code Blocks.scoped}).
 */
public final class TorchClipText implements DifferentiableTextTower, AutoCloseable {
  /** Additive attention-mask value, the ONNX graph's ({@code BertMlmGraph.MASK_VALUE}). */
  private static final float MASK_VALUE = -10000f;
  /** OpenAI's QuickGELU constant: x·σ(1.702x). */
  private static final float QUICK_GELU_ALPHA = 1.702f;

  private final ModelManifest manifest;
  private final ClipConfig.Text config;
  private final int projectionDim;
  private final DataType dataType;
  private final NDManager manager;
  private final NDArray tokenEmbeddings;
  private final NDArray positionEmbeddings;
  private final List<Layer> layers;
  private final Norm finalNorm;
  /** The text projection {@code [hidden, projection]} (the graph's transposed initializer). */
  private final NDArray projection;

  /** One {@code CLIPEncoderLayer}; query, key and value as one {@code [h, 3h]} dense. */
  private record Layer(Norm norm1, Dense qkv, Dense out, Norm norm2, Dense fc1, Dense fc2) {}

  private TorchClipText(ModelManifest manifest, ClipTextSpec spec, DataType dataType,
      NDManager manager, OnnxWeights onnx) {
    this.manifest = manifest;
    this.config = spec.config();
    this.projectionDim = spec.projectionDim();
    this.dataType = dataType;
    this.manager = manager;
    int h = config.hiddenSize();
    Weights w = new Weights(onnx, manager, dataType);
    tokenEmbeddings = w.tensor( ClipTextSpec.TOKEN_EMBEDDING, config.vocabSize(), h);
    positionEmbeddings = w.tensor( ClipTextSpec.POSITION_EMBEDDING, config.maxPositions(), h);
    List<Layer> ls = new ArrayList<>();
    for (int i = 0; i < config.numLayers(); i++) {
      String p = ClipTextSpec.layer(i);
      Dense qkv = Dense.fused(dense(w, p + ".self_attn.q_proj", h, h),
          dense(w, p + ".self_attn.k_proj", h, h), dense(w, p + ".self_attn.v_proj", h, h));
      ls.add(new Layer(norm(w, p + ".layer_norm1"), qkv, dense(w, p + ".self_attn.out_proj", h, h),
          norm(w, p + ".layer_norm2"), dense(w, p + ".mlp.fc1", h, config.intermediateSize()),
          dense(w, p + ".mlp.fc2", config.intermediateSize(), h)));
    }
    layers = List.copyOf(ls);
    finalNorm = norm(w, ClipTextSpec.FINAL_LAYER_NORM);
    projection = w.tensor( ClipTextSpec.TEXT_PROJECTION, h, projectionDim);
  }

  /** Loads {@code model}'s text tower in float32, in a sub-manager of {@code parent}. */
  public static TorchClipText load(ModelDir model, NDManager parent) throws IOException {
    return load(model, parent, DataType.FLOAT32);
  }

  /**
   * Loads the text tower of {@code model} (architecture {@code clip}) from its ONNX text graph.
   *
   * @param dataType {@code FLOAT32}, or {@code FLOAT64} for exact gradient checks
   */
  public static TorchClipText load(ModelDir model, NDManager parent, DataType dataType)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!ModelManifest.ARCH_CLIP.equals(m.architecture())) {
      throw new IllegalArgumentException("model " + m.name() + " has architecture "
          + m.architecture() + ", not " + ModelManifest.ARCH_CLIP);
    }
    Blocks.requireFloat(dataType);
    // One parse for both the nodes (the spec) and the initialisers (the weights).
    ModelProto graph = OnnxWeights.parse(model.modelFile());
    ClipTextSpec spec = ClipTextSpec.of(graph, m.numHeads());
    OnnxWeights w = OnnxWeights.of(graph);
    return Blocks.inSubManager(parent, manager -> new TorchClipText(m, spec, dataType, manager, w));
  }

  /** The model's manifest (special-token ids, sizes). */
  public ModelManifest manifest() {
    return manifest;
  }

  /** The text tower's sizes, activation, epsilon and pooling rule, as its graph has them. */
  public ClipConfig.Text config() {
    return config;
  }

  /** Width of {@code text_embeds}. */
  public int projectionDim() {
    return projectionDim;
  }

  /** FLOAT32 or FLOAT64: the weights', and what input embeddings must be. */
  public DataType dataType() {
    return dataType;
  }

  @Override
  public int maxInputTokens() {
    return config.maxPositions();
  }

  @Override
  public NDArray tokenEmbeddings() {
    return tokenEmbeddings;
  }

  @Override
  public NDArray embed(NDArray tokenIds) {
    return Blocks.embed(tokenEmbeddings, tokenIds);
  }

  /**
   * Where the graph pools a row of token ids (the text, its specials included): the first
   * {@code eos_token_id}, or {@code argmax(ids)} (first maximum) for configs from before
   * transformers PR #24773, exactly as {@code ClipGraph} and HF's {@code CLIPTextTransformer}.
   */
  public int eotPosition(int[] ids) {
    int at = 0;
    for (int i = 0; i < ids.length; i++) {
      if (config.legacyArgmaxPooling() ? ids[i] > ids[at] : ids[i] == config.eosTokenId()) {
        at = i;
        if (!config.legacyArgmaxPooling()) {
          return at;
        }
      }
    }
    return at;
  }

  @Override
  public NDArray textEmbeds(NDArray inputEmbeddings, NDArray attentionMask,
      NDArray eotPositions) {
    return scoped(inputEmbeddings, () -> forward(inputEmbeddings, attentionMask, eotPositions));
  }

  private NDArray forward(NDArray x, NDArray attentionMask, NDArray eotPositions) {
    Shape s = x.getShape();
    int h = config.hiddenSize();
    if (s.dimension() != 3 || s.get(2) != h) {
      throw new IllegalArgumentException("input embeddings must be [batch, sequence, " + h
          + "], got " + s);
    }
    if (x.getDataType() != dataType) {
      throw new IllegalArgumentException("input embeddings are " + x.getDataType()
          + "; this model computes in " + dataType);
    }
    long b = s.get(0);
    int n = (int) s.get(1);
    if (n > maxInputTokens()) {
      throw new IllegalArgumentException(n + " tokens; CLIP's text tower takes at most "
          + maxInputTokens());
    }
    if (!attentionMask.getShape().equals(new Shape(b, n))) {
      throw new IllegalArgumentException("attention mask must be [" + b + ", " + n + "], got "
          + attentionMask.getShape());
    }
    if (!eotPositions.getShape().equals(new Shape(b))) {
      throw new IllegalArgumentException("end-of-text positions must be [" + b + "], got "
          + eotPositions.getShape());
    }
    NDManager m = x.getManager();
    NDArray e = x.add(lookup(positionEmbeddings, m.arange(0, n, 1, DataType.INT64)));
    // (1 − lowerTriangle[n, n] · padding[b, 1, 1, n]) · −10000 → [b, 1, n, n], ClipGraph's mask.
    float[] lower = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        lower[i * n + j] = 1;
      }
    }
    NDArray padding = attentionMask.toType(dataType, false).reshape(b, 1, 1, n);
    NDArray additive = m.create(lower, new Shape(1, 1, n, n)).toType(dataType, false)
        .mul(padding).neg().add(1).mul(MASK_VALUE);
    for (Layer layer : layers) {
      e = layer(layer, e, additive, b, n);
    }
    e = finalNorm.apply(e);
    // hidden[b, eot[b], :] → [b, hidden], then the text projection.
    NDArray index = eotPositions.toType(DataType.INT64, false).reshape(b, 1, 1)
        .broadcast(b, 1, h);
    return e.gather(index, 1).reshape(b, h).matMul(projection);
  }

  private NDArray layer(Layer l, NDArray x, NDArray additiveMask, long b, int n) {
    NDArray context = selfAttention(l.qkv.apply(l.norm1.apply(x)), additiveMask, b, n,
        config.numHeads(), config.headSize());
    x = x.add(l.out.apply(context));
    NDArray mlp = activation(l.fc1.apply(l.norm2.apply(x)));
    return x.add(l.fc2.apply(mlp));
  }

  private NDArray activation(NDArray x) {
    if (ClipConfig.QUICK_GELU.equals(config.hiddenAct())) {
      return x.mul(Scalars.times(x, QUICK_GELU_ALPHA).getNDArrayInternal().sigmoid());
    }
    return x.getNDArrayInternal().gelu(); // exact (erf) GELU, as the graph's
  }

  private static Dense dense(Weights w, String scope, int in, int out) {
    return w.dense(scope + ".weight", scope + ".bias", in, out);
  }

  private Norm norm(Weights w, String scope) {
    return w.norm(scope + ".weight", scope + ".bias", config.hiddenSize(), config.layerNormEps());
  }

  /** Frees the weights. */
  @Override
  public void close() {
    manager.close();
  }
}
