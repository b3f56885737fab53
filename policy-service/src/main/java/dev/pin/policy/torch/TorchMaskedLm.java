package dev.pin.policy.torch;

import static dev.pin.policy.torch.Blocks.lookup;
import static dev.pin.policy.torch.Blocks.scoped;
import static dev.pin.policy.torch.Blocks.selfAttention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.BertNames;
import dev.pin.models.onnx.EncoderSpec;
import dev.pin.models.onnx.OnnxWeights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.policy.algorithm.DifferentiableLm;
import dev.pin.policy.torch.Blocks.Dense;
import dev.pin.policy.torch.Blocks.Norm;
import dev.pin.policy.torch.Blocks.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A frozen BERT masked LM (encoder + MLM head) on DJL's PyTorch engine that takes input
 * <em>embeddings</em>, so PEZ (ALGORITHMS.md §7.1) can splice a prompt in as vectors and take
 * d loss / d prompt-embeddings under a {@code GradientCollector}; ONNX Runtime gives no gradients.
 *
 * <p>The weights are the float32 ONNX graph's own initialisers ({@link OnnxWeights}, under {@link
 * BertNames}), so this model and the reward service's {@code MaskedLm} compute the same function;
 * the sizes, LayerNorm epsilon and position scheme come from {@link EncoderSpec} (the manifest and
 * weight shapes for BERT, {@code encoder.json} for RoBERTa). The maths is {@code EncoderGraph}'s:
 * word + position + token-type embeddings → LayerNorm; per layer, multi-head self-attention with
 * the additive mask {@code (1 - mask)·-10000}, residual, LayerNorm, dense → exact (erf) GELU →
 * dense, residual, LayerNorm; the head is dense → GELU → LayerNorm → decoder tied to the word
 * embeddings + output bias (MODELS.md).
 *
 * <p>The weights never require gradients, so a backward pass reaches only the caller's leaves (the
 * input embeddings). DJL's gradient collector is process-wide: callers serialise their backward
 * passes (the policy's {@code PolicyState.AUTOGRAD} lock does this for the RL updates).
 *
 * <p>Memory: the weights live in a sub-manager of the caller's, created once and freed by {@link
 * #close}. Each forward runs in an NDScope ({@code Blocks.scoped}), so its intermediates are freed
 * when it returns (autograd keeps what backward needs on the native side); only the result
 * survives, attached to the manager of the input embeddings and registered with the caller's
 * enclosing scope, if any. Forwards may run on several threads at once.
 */
public final class TorchMaskedLm implements DifferentiableLm, AutoCloseable {
  /** Additive attention-mask value for padding, the ONNX graph's ({@code BertMlmGraph}). */
  private static final float MASK_VALUE = -10000f;

  private final ModelManifest manifest;
  private final BertConfig config;
  private final int positionPaddingIdx;
  private final int maxInputTokens;
  private final DataType dataType;
  private final NDManager manager;
  private final NDArray wordEmbeddings;
  private final NDArray positionEmbeddings;
  private final NDArray tokenTypeEmbeddings;
  private final Norm embeddingsNorm;
  private final List<Layer> layers;
  private final Dense headDense;
  private final Norm headNorm;
  private final NDArray outputBias;

  /** One encoder layer; query, key and value are one {@code [h, 3h]} dense (one GEMM, not 3). */
  private record Layer(Dense qkv, Dense attentionOut, Norm attentionNorm, Dense intermediate,
      Dense output, Norm outputNorm) {}

  private TorchMaskedLm(ModelManifest manifest, EncoderSpec spec, DataType dataType,
      NDManager manager, OnnxWeights onnx) {
    this.manifest = manifest;
    this.config = spec.config();
    this.positionPaddingIdx = spec.positionPaddingIdx();
    this.maxInputTokens = spec.maxInputTokens();
    this.dataType = dataType;
    this.manager = manager;
    int h = config.hiddenSize();
    Weights w = new Weights(onnx, manager, dataType);
    wordEmbeddings = w.tensor(BertNames.WORD_EMBEDDINGS, config.vocabSize(), h);
    positionEmbeddings = w.tensor(BertNames.POSITION_EMBEDDINGS, config.maxPositions(), h);
    tokenTypeEmbeddings = w.tensor(BertNames.TOKEN_TYPE_EMBEDDINGS, config.typeVocabSize(), h);
    embeddingsNorm = norm(w, BertNames.EMBEDDINGS_LN);
    List<Layer> ls = new ArrayList<>();
    for (int i = 0; i < config.numLayers(); i++) {
      String p = BertNames.layer(i);
      Dense qkv = Dense.fused(dense(w, p + "/attention/self/query", h, h),
          dense(w, p + "/attention/self/key", h, h), dense(w, p + "/attention/self/value", h, h));
      ls.add(new Layer(qkv, dense(w, p + "/attention/output/dense", h, h),
          norm(w, p + "/attention/output/LayerNorm"),
          dense(w, p + "/intermediate/dense", h, config.intermediateSize()),
          dense(w, p + "/output/dense", config.intermediateSize(), h),
          norm(w, p + "/output/LayerNorm")));
    }
    layers = List.copyOf(ls);
    headDense = dense(w, BertNames.HEAD_DENSE, h, h);
    headNorm = norm(w, BertNames.HEAD_LN);
    outputBias = w.tensor(BertNames.OUTPUT_BIAS, config.vocabSize());
  }

  /** Loads {@code model} in float32, its weights in a sub-manager of {@code parent} (PyTorch). */
  public static TorchMaskedLm load(ModelDir model, NDManager parent) throws IOException {
    return load(model, parent, DataType.FLOAT32);
  }

  /**
   * Loads {@code model} ({@code bert-mlm} or {@code roberta-mlm}) from its float32 ONNX graph.
   *
   * @param dataType {@code FLOAT32}, or {@code FLOAT64} for exact gradient checks
   */
  public static TorchMaskedLm load(ModelDir model, NDManager parent, DataType dataType)
      throws IOException {
    ModelManifest m = model.manifest();
    if (!ModelManifest.ARCH_BERT_MLM.equals(m.architecture())
        && !ModelManifest.ARCH_ROBERTA_MLM.equals(m.architecture())) {
      throw new IllegalArgumentException("model " + m.name() + " has architecture "
          + m.architecture() + ", not " + ModelManifest.ARCH_BERT_MLM + " or "
          + ModelManifest.ARCH_ROBERTA_MLM);
    }
    Blocks.requireFloat(dataType);
    // The float32 graph: the int8 variant's layer kernels are quantised and not floats.
    OnnxWeights w = OnnxWeights.read(model.modelFile());
    EncoderSpec spec = EncoderSpec.of(model, w);
    return Blocks.inSubManager(parent, manager -> new TorchMaskedLm(m, spec, dataType, manager, w));
  }

  /** The model's manifest (special-token ids, sizes). */
  public ModelManifest manifest() {
    return manifest;
  }

  /** Sizes, heads and LayerNorm epsilon. */
  public BertConfig config() {
    return config;
  }

  /** FLOAT32 or FLOAT64: the weights', and what input embeddings must be. */
  public DataType dataType() {
    return dataType;
  }

  /** Longest input in tokens (RoBERTa reserves {@code padding_idx + 1} position rows). */
  @Override
  public int maxInputTokens() {
    return maxInputTokens;
  }

  /**
   * The word-embedding matrix E {@code [vocab, hidden]}, also the tied decoder (PEZ projects its
   * prompt onto E's rows). Owned by this model: do not close or modify it.
   */
  @Override
  public NDArray wordEmbeddings() {
    return wordEmbeddings;
  }

  /**
   * Rows of E for {@code tokenIds} (int64, any shape {@code [...]}) → {@code [..., hidden]}, in
   * the manager of {@code tokenIds}.
   */
  @Override
  public NDArray embed(NDArray tokenIds) {
    return Blocks.embed(wordEmbeddings, tokenIds);
  }

  /**
   * Final-layer hidden states {@code [batch, sequence, hidden]}.
   *
   * @param inputEmbeddings {@code [batch, sequence, hidden]} in {@link #dataType()}: the word
   *     embeddings of the tokens (or any vectors in their place); position and token-type
   *     embeddings are added here, as with HF's {@code inputs_embeds}
   * @param attentionMask {@code [batch, sequence]}, 1 for tokens and 0 for padding (right-padded;
   *     RoBERTa numbers its positions from it)
   * @param tokenTypeIds {@code [batch, sequence]} int64, or null for all zeros
   */
  public NDArray hiddenStates(NDArray inputEmbeddings, NDArray attentionMask,
      NDArray tokenTypeIds) {
    return scoped(inputEmbeddings, () -> encode(inputEmbeddings, attentionMask, tokenTypeIds));
  }

  /** MLM logits at every position, {@code [batch, sequence, vocab]}; see {@link #hiddenStates}. */
  public NDArray logits(NDArray inputEmbeddings, NDArray attentionMask, NDArray tokenTypeIds) {
    return scoped(inputEmbeddings, () -> decode(
        headTransform(encode(inputEmbeddings, attentionMask, tokenTypeIds)), null));
  }

  /**
   * MLM logits at {@code positions} {@code [batch, k]} (int64) of each row, {@code [batch, k,
   * vocab]}: the head (and its 30 522-wide decoder for BERT-base) runs on those positions only,
   * as in the ONNX graph.
   */
  public NDArray logitsAt(NDArray inputEmbeddings, NDArray attentionMask, NDArray tokenTypeIds,
      NDArray positions) {
    return logitsAt(inputEmbeddings, attentionMask, tokenTypeIds, positions, null);
  }

  /**
   * MLM logits at {@code positions} {@code [batch, k]} for the vocabulary entries {@code tokenIds}
   * {@code [n]} (int64) only, {@code [batch, k, n]}: column j is logit {@code tokenIds[j]} of the
   * full head. For losses over a few verbalizer tokens (§7.1's LM variant) this skips the
   * decoder's {@code hidden × vocab} product; note that such a softmax is over the {@code n}
   * tokens, not the vocabulary.
   */
  public NDArray logitsAt(NDArray inputEmbeddings, NDArray attentionMask, NDArray tokenTypeIds,
      NDArray positions, NDArray tokenIds) {
    return scoped(inputEmbeddings, () -> {
      NDArray hidden = encode(inputEmbeddings, attentionMask, tokenTypeIds);
      Shape p = positions.getShape();
      if (p.dimension() != 2 || p.get(0) != hidden.getShape().get(0)) {
        throw new IllegalArgumentException("positions must be [batch, k], got " + p);
      }
      // hidden[b, positions[b, j], :] → [batch, k, hidden] (torch.gather along the sequence).
      NDArray index = positions.toType(DataType.INT64, false).expandDims(2)
          .broadcast(p.get(0), p.get(1), config.hiddenSize());
      return decode(headTransform(hidden.gather(index, 1)), tokenIds);
    });
  }

  /** Token-type ids all 0 (a single segment, as the reward service's task model reads it). */
  @Override
  public NDArray tokenLogitsAt(NDArray inputEmbeddings, NDArray attentionMask, NDArray positions,
      NDArray tokenIds) {
    return logitsAt(inputEmbeddings, attentionMask, null, positions, tokenIds);
  }

  /** Token-type ids all 0, as {@link #tokenLogitsAt}. */
  @Override
  public NDArray vocabularyLogitsAt(NDArray inputEmbeddings, NDArray attentionMask,
      NDArray positions) {
    return logitsAt(inputEmbeddings, attentionMask, null, positions, null);
  }

  private NDArray encode(NDArray x, NDArray attentionMask, NDArray tokenTypeIds) {
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
    long n = s.get(1);
    if (n > maxInputTokens) {
      throw new IllegalArgumentException(n + " tokens; the model takes at most " + maxInputTokens);
    }
    if (!attentionMask.getShape().equals(new Shape(b, n))) {
      throw new IllegalArgumentException("attention mask must be [" + b + ", " + n + "], got "
          + attentionMask.getShape());
    }
    NDArray mask = attentionMask.toType(DataType.INT64, false);
    NDArray types = tokenTypeIds == null ? x.getManager().zeros(new Shape(b, n), DataType.INT64)
        : tokenTypeIds.toType(DataType.INT64, false);
    NDArray positionIds;
    if (positionPaddingIdx < 0) {
      positionIds = x.getManager().arange(0, (int) n, 1, DataType.INT64);
    } else {
      // RoBERTa: tokens count from padding_idx + 1, padding sits at padding_idx (the ONNX graph
      // derives the same from input_ids != pad, HF's create_position_ids_from_input_ids).
      positionIds = mask.cumSum(1).mul(mask).add(positionPaddingIdx);
    }
    NDArray e = x.add(lookup(tokenTypeEmbeddings, types)).add(lookup(positionEmbeddings,
        positionIds));
    e = embeddingsNorm.apply(e);
    // (1 - mask)·-10000 as [batch, 1, 1, sequence], broadcast over heads and queries.
    NDArray additive = mask.toType(dataType, false).neg().add(1).mul(MASK_VALUE)
        .reshape(b, 1, 1, n);
    for (Layer layer : layers) {
      e = layer(layer, e, additive, b, n);
    }
    return e;
  }

  private NDArray layer(Layer l, NDArray x, NDArray additiveMask, long b, long n) {
    NDArray context = selfAttention(l.qkv.apply(x), additiveMask, b, n, config.numHeads(),
        config.headSize());
    NDArray attention = l.attentionNorm.apply(l.attentionOut.apply(context).add(x));
    NDArray inter = l.intermediate.apply(attention).getNDArrayInternal().gelu();
    return l.outputNorm.apply(l.output.apply(inter).add(attention));
  }

  /** dense → GELU(erf) → LayerNorm of the MLM head. */
  private NDArray headTransform(NDArray hidden) {
    return headNorm.apply(headDense.apply(hidden).getNDArrayInternal().gelu());
  }

  /** The tied decoder + output bias, over the whole vocabulary or {@code tokenIds}. */
  private NDArray decode(NDArray t, NDArray tokenIds) {
    if (tokenIds == null) {
      // t · Eᵀ + b as one addmm.
      return t.getNDArrayInternal().linear(t, wordEmbeddings, outputBias).singletonOrThrow();
    }
    if (tokenIds.getShape().dimension() != 1) {
      throw new IllegalArgumentException("token ids must be [n], got " + tokenIds.getShape());
    }
    NDArray ids = tokenIds.toType(DataType.INT64, false);
    NDArray rows = lookup(wordEmbeddings, ids);
    NDArray bias = lookup(outputBias.reshape(config.vocabSize(), 1), ids).reshape(-1);
    return t.getNDArrayInternal().linear(t, rows, bias).singletonOrThrow();
  }

  private static Dense dense(Weights w, String scope, int in, int out) {
    return w.dense(BertNames.kernel(scope), BertNames.bias(scope), in, out);
  }

  private Norm norm(Weights w, String scope) {
    return w.norm(BertNames.gamma(scope), BertNames.beta(scope), config.hiddenSize(),
        config.layerNormEps());
  }

  /** Frees the weights. */
  @Override
  public void close() {
    manager.close();
  }
}
