package dev.pin.models.onnx;

import static dev.pin.models.onnx.BertNames.beta;
import static dev.pin.models.onnx.BertNames.bias;
import static dev.pin.models.onnx.BertNames.gamma;
import static dev.pin.models.onnx.BertNames.kernel;
import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.attrs;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The transformer encoder shared by every BERT-family graph (masked LM, sequence classifier,
 * hidden-state encoder): embeddings, the additive attention mask and the post-LayerNorm layers.
 * BERT and RoBERTa differ here only in their position ids: BERT counts {@code 0 … n-1}, RoBERTa
 * numbers the non-padding tokens from {@code padding_idx + 1} and gives padding
 * {@code padding_idx} (HF's {@code create_position_ids_from_input_ids}); the token-type table
 * (one row in RoBERTa) and the LayerNorm epsilon (1e-5) come from the weights and the config.
 *
 * <p>Weights are read under {@link BertNames}; a head adds its own nodes through {@link #dense},
 * {@link #gelu} and {@link #layerNorm}. Patterns are emitted in the form ORT fuses (opset 17
 * LayerNormalization, Div/Erf/Add/Mul/Mul GELU, MatMul+Add, Softmax attention with an additive
 * mask).
 */
final class EncoderGraph {
  /** {@link #positionPaddingIdx} of BERT: absolute positions {@code 0 … n-1}. */
  static final int ABSOLUTE_POSITIONS = -1;

  final BertConfig config;
  final Weights weights;
  final Precision precision;
  /** How {@link Precision#INT8} quantizes the layers' denses; null for float32. */
  final Int8Recipe recipe;
  /** RoBERTa's {@code padding_idx}, or {@link #ABSOLUTE_POSITIONS}. */
  final int positionPaddingIdx;
  final GraphBuilder g;
  private final Set<String> initialized = new HashSet<>();

  EncoderGraph(String name, BertConfig config, Weights weights, Precision precision,
      int positionPaddingIdx) {
    this(name, config, weights, precision == Precision.INT8 ? Int8Recipe.REDUCED_RANGE : null,
        positionPaddingIdx);
  }

  /** An encoder in float32 ({@code recipe} null) or int8 by {@code recipe}. */
  EncoderGraph(String name, BertConfig config, Weights weights, Int8Recipe recipe,
      int positionPaddingIdx) {
    this.g = new GraphBuilder(name);
    this.config = config;
    this.weights = weights;
    this.precision = recipe == null ? Precision.FP32 : Precision.INT8;
    this.recipe = recipe;
    this.positionPaddingIdx = positionPaddingIdx;
  }

  /** Declares {@code input_ids}, {@code attention_mask}, {@code token_type_ids}. */
  void declareTextInputs() {
    var gp = g.proto();
    gp.addInput(valueInfo(BertMlmGraph.INPUT_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(BertMlmGraph.ATTENTION_MASK, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(BertMlmGraph.TOKEN_TYPE_IDS, DataType.INT64, "batch", "sequence"));
  }

  /**
   * Embeddings and the first {@code layers} encoder layers.
   *
   * @return the hidden-state value after the embeddings (index 0) and after each layer (1 …)
   */
  List<String> encode(int layers) throws IOException {
    if (layers < 0 || layers > config.numLayers()) {
      throw new IllegalArgumentException("layer " + layers + " outside 0.." + config.numLayers());
    }
    List<String> states = new ArrayList<>();
    String x = embeddings();
    states.add(x);
    String mask = additiveMask();
    for (int i = 0; i < layers; i++) {
      x = layer(i, x, mask);
      states.add(x);
    }
    return states;
  }

  /** The finished model proto. */
  ModelProto model(String docString) {
    return g.model(docString);
  }

  /** Renames the last node's output to a graph output name. */
  String renameLast(String name) {
    var gp = g.proto();
    var node = gp.getNodeBuilder(gp.getNodeCount() - 1);
    node.setOutput(0, name);
    return name;
  }

  /** Copies {@code value} to a graph output called {@code name} (an Identity node). */
  String output(String value, String name) {
    g.node("Identity", "output", new String[] {value});
    return renameLast(name);
  }

  String w(String name, long... expectedShape) throws IOException {
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), expectedShape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expectedShape));
    }
    return g.initializer(name, t);
  }

  private String embeddings() throws IOException {
    int h = config.hiddenSize();
    String s = "bert/embeddings";
    String word = g.node("Gather", s, new String[] {
        w(BertNames.WORD_EMBEDDINGS, config.vocabSize(), h), BertMlmGraph.INPUT_IDS});
    String type = g.node("Gather", s, new String[] {
        w(BertNames.TOKEN_TYPE_EMBEDDINGS, config.typeVocabSize(), h),
        BertMlmGraph.TOKEN_TYPE_IDS});
    String pos = g.node("Gather", s, new String[] {
        w(BertNames.POSITION_EMBEDDINGS, config.maxPositions(), h), positionIds(s)});
    String sum = g.node("Add", s, new String[] {word, type});
    sum = g.node("Add", s, new String[] {sum, pos});
    return layerNorm(sum, BertNames.EMBEDDINGS_LN);
  }

  private String positionIds(String s) {
    if (positionPaddingIdx == ABSOLUTE_POSITIONS) {
      String shape = g.node("Shape", s, new String[] {BertMlmGraph.INPUT_IDS});
      String seqLen = g.node("Gather", s, new String[] {shape, g.int64(new long[] {1})});
      String range = g.node("Range", s, new String[] {
          g.int64(new long[] {0}), seqLen, g.int64(new long[] {1})});
      return g.node("Unsqueeze", s, new String[] {range, g.int64(new long[] {0}, 1)});
    }
    // RoBERTa: mask = ids != pad; positions = cumsum(mask) * mask + padding_idx, so real tokens
    // count from padding_idx + 1 and padding sits at padding_idx (HF
    // create_position_ids_from_input_ids). It reads input_ids, not attention_mask, as HF does.
    String pad = g.int64(new long[] {positionPaddingIdx});
    String isPad = g.node("Equal", s, new String[] {BertMlmGraph.INPUT_IDS, pad});
    String notPad = g.node("Not", s, new String[] {isPad});
    String m = g.node("Cast", s, new String[] {notPad},
        attr("to", (long) DataType.INT64.getNumber()));
    String cum = g.node("CumSum", s, new String[] {m, g.int64(new long[] {1})});
    cum = g.node("Mul", s, new String[] {cum, m});
    return g.node("Add", s, new String[] {cum, pad});
  }

  /** (1 - mask) * -10000, shaped [batch, 1, 1, sequence] to broadcast over heads and queries. */
  private String additiveMask() {
    String s = "bert/encoder/mask";
    String m = g.node("Unsqueeze", s,
        new String[] {BertMlmGraph.ATTENTION_MASK, g.int64(new long[] {1, 2}, 2)});
    m = g.node("Cast", s, new String[] {m}, attr("to", (long) DataType.FLOAT.getNumber()));
    m = g.node("Sub", s, new String[] {g.scalar(1f), m});
    return g.node("Mul", s, new String[] {m, g.scalar(BertMlmGraph.MASK_VALUE)});
  }

  private String layer(int i, String x, String mask) throws IOException {
    int h = config.hiddenSize();
    String p = BertNames.layer(i);
    String shape4 = g.int64(new long[] {0, 0, config.numHeads(), config.headSize()}, 4);
    String q = dense(x, p + "/attention/self/query", h, h);
    String k = dense(x, p + "/attention/self/key", h, h);
    String v = dense(x, p + "/attention/self/value", h, h);
    q = g.node("Transpose", p + "/attention/self",
        new String[] {g.node("Reshape", p + "/attention/self", new String[] {q, shape4})},
        attrs("perm", 0, 2, 1, 3));
    k = g.node("Transpose", p + "/attention/self",
        new String[] {g.node("Reshape", p + "/attention/self", new String[] {k, shape4})},
        attrs("perm", 0, 2, 3, 1));
    v = g.node("Transpose", p + "/attention/self",
        new String[] {g.node("Reshape", p + "/attention/self", new String[] {v, shape4})},
        attrs("perm", 0, 2, 1, 3));
    String scores = g.node("MatMul", p + "/attention/self", new String[] {q, k});
    scores = g.node("Div", p + "/attention/self",
        new String[] {scores, g.scalar((float) Math.sqrt(config.headSize()))});
    scores = g.node("Add", p + "/attention/self", new String[] {scores, mask});
    String probs = g.node("Softmax", p + "/attention/self", new String[] {scores},
        attr("axis", -1L));
    String ctx = g.node("MatMul", p + "/attention/self", new String[] {probs, v});
    ctx = g.node("Transpose", p + "/attention/self", new String[] {ctx},
        attrs("perm", 0, 2, 1, 3));
    ctx = g.node("Reshape", p + "/attention/self",
        new String[] {ctx, g.int64(new long[] {0, 0, h}, 3)});
    String attn = dense(ctx, p + "/attention/output/dense", h, h);
    attn = g.node("Add", p + "/attention/output", new String[] {attn, x});
    attn = layerNorm(attn, p + "/attention/output/LayerNorm");
    String inter = gelu(dense(attn, p + "/intermediate/dense", h, config.intermediateSize()),
        p + "/intermediate");
    String out = dense(inter, p + "/output/dense", config.intermediateSize(), h);
    out = g.node("Add", p + "/output", new String[] {out, attn});
    return layerNorm(out, p + "/output/LayerNorm");
  }

  /** {@code x · kernel + bias} with the weights of {@code scope} ([in, out] kernel). */
  String dense(String x, String scope, int in, int out) throws IOException {
    if (recipe != null && quantized(scope)) {
      return denseInt8(x, scope, in, out);
    }
    String k = kernel(scope);
    String b = bias(scope);
    if (!hasInitializer(k)) {
      w(k, in, out);
      w(b, out);
    }
    String y = g.node("MatMul", scope, new String[] {x, k});
    return g.node("Add", scope, new String[] {y, b});
  }

  /** A layer's dense, located: its layer index and kind. */
  private record LayerDense(int layer, Int8Recipe.Dense dense) {}

  /** The layer dense {@code scope} names, or null for other denses (heads, pooler). */
  private static LayerDense layerDense(String scope) {
    String prefix = "bert/encoder/layer_";
    if (!scope.startsWith(prefix)) {
      return null;
    }
    int slash = scope.indexOf('/', prefix.length());
    int layer = Integer.parseInt(scope.substring(prefix.length(), slash));
    String rest = scope.substring(slash + 1);
    for (Int8Recipe.Dense d : Int8Recipe.Dense.values()) {
      if (d.scope().equals(rest)) {
        return new LayerDense(layer, d);
      }
    }
    throw new IllegalArgumentException("not an encoder dense: " + scope);
  }

  /** Whether the recipe quantizes {@code scope}: encoder-layer denses only, never the heads. */
  private boolean quantized(String scope) {
    LayerDense d = layerDense(scope);
    return d != null && recipe.quantizes(d.dense(), d.layer(), config.numLayers());
  }

  /**
   * SmoothQuant's per-input-channel factors {@code s_j = sqrt(max|x_j| / max|W_j·|)} for a dense
   * that reads a LayerNorm output, or null. {@code max|x_j|} is estimated as
   * {@code 3·|gamma_j| + |beta_j|} (the LayerNorm's input is normalised per token, so a channel's
   * range is set by its gamma and beta), and query, key and value share one set (over their
   * three kernels), so they read the same smoothed input.
   */
  private record Smoothing(String layerNorm, float[] s) {}

  private Smoothing smoothing(String scope, int in) throws IOException {
    LayerDense d = layerDense(scope);
    if (!recipe.smoothLayerNorm() || d == null) {
      return null;
    }
    String ln;
    List<String> group;
    String layer = BertNames.layer(d.layer());
    switch (d.dense()) {
      case QUERY, KEY, VALUE -> {
        ln = d.layer() == 0 ? BertNames.EMBEDDINGS_LN
            : BertNames.layer(d.layer() - 1) + "/output/LayerNorm";
        group = List.of(layer + "/attention/self/query", layer + "/attention/self/key",
            layer + "/attention/self/value");
      }
      case INTERMEDIATE -> {
        ln = layer + "/attention/output/LayerNorm";
        group = List.of(scope);
      }
      default -> {
        return null;
      }
    }
    float[] gm = weights.get(gamma(ln)).toFloats();
    float[] bt = weights.get(beta(ln)).toFloats();
    float[] wMax = new float[in];
    for (String k : group) {
      float[] w = weights.get(kernel(k)).toFloats();
      int out = w.length / in;
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          wMax[i] = Math.max(wMax[i], Math.abs(w[i * out + o]));
        }
      }
    }
    float[] s = new float[in];
    for (int i = 0; i < in; i++) {
      float xMax = 3 * Math.abs(gm[i]) + Math.abs(bt[i]);
      s[i] = xMax > 0 && wMax[i] > 0 ? (float) Math.sqrt(xMax / wMax[i]) : 1f;
    }
    return new Smoothing(ln, s);
  }

  /**
   * ORT's dynamic-quantization form of {@code x · W + b}: per-call uint8 activations, int8
   * weights with per-column symmetric scales (zero point 0, so no B zero-point input).
   *
   * <p>{@link Int8Recipe#REDUCED_RANGE} uses 7-bit weights ([-63, 63], ORT's
   * {@code reduce_range}): on x86 CPUs without VNNI, ORT's u8×s8 kernel sums pairs of products in
   * int16 ({@code vpmaddubsw}), and 255·127·2 overflows it; 255·63·2 does not. With full-range
   * weights the tiny model's hidden states were 8.6% off fp32 on such a CPU (AMD EPYC, AVX2
   * only), and BERT-base's fill-mask moved a lot. VNNI's {@code vpdpbusd} accumulates in int32,
   * so recipes for it use all 8 bits.
   */
  private String denseInt8(String x, String scope, int in, int out) throws IOException {
    FloatTensor kernel = weights.get(kernel(scope));
    if (!Arrays.equals(kernel.shape(), new long[] {in, out})) {
      throw new IllegalArgumentException("weight " + kernel(scope) + " has shape "
          + Arrays.toString(kernel.shape()) + ", expected [" + in + ", " + out + "]");
    }
    int wMax = recipe.weightMax();
    float[] w = kernel.toFloats();
    Smoothing smooth = smoothing(scope, in);
    if (smooth != null) {
      // x·W = (x / s)·(diag(s)·W): the input's outlier channels shrink, the weights' rows grow.
      float[] inverse = new float[in];
      for (int i = 0; i < in; i++) {
        inverse[i] = 1f / smooth.s()[i];
        for (int o = 0; o < out; o++) {
          w[i * out + o] *= smooth.s()[i];
        }
      }
      // One initializer per LayerNorm: query, key and value then read identical nodes, which
      // ORT's common-subexpression elimination merges.
      String name = smooth.layerNorm() + "/smooth_inverse";
      if (!hasInitializer(name)) {
        g.initializer(name, FloatTensor.of(inverse, in));
      }
      x = g.node("Mul", smooth.layerNorm() + "/smooth", new String[] {x, name});
    }
    float[] scale = new float[out];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        scale[o] = Math.max(scale[o], Math.abs(w[i * out + o]));
      }
    }
    for (int o = 0; o < out; o++) {
      scale[o] = scale[o] == 0 ? 1f : scale[o] / wMax;
    }
    byte[] q = new byte[in * out];
    float[] columnSum = new float[out];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        int v = Math.max(-wMax, Math.min(wMax, Math.round(w[i * out + o] / scale[o])));
        q[i * out + o] = (byte) v;
        columnSum[o] += v;
      }
    }
    String wq = g.int8(kernel(scope) + "_quantized", q, in, out);
    String ws = g.initializer(kernel(scope) + "_scale", FloatTensor.of(scale, out));
    String b = g.initializer(bias(scope), weights.get(bias(scope)));
    if (recipe.perRowActivations()) {
      LayerDense d = layerDense(scope);
      return perRowInt8(x, scope, recipe.splitDenses().contains(d.dense()), wq, ws, b,
          g.initializer(kernel(scope) + "_column_sum", FloatTensor.of(columnSum, out)));
    }
    String[] dq = g.nodeMulti("DynamicQuantizeLinear", scope, 3, new String[] {x});
    String y = g.node("MatMulInteger", scope, new String[] {dq[0], wq, dq[2]});
    y = g.node("Cast", scope, new String[] {y}, attr("to", (long) DataType.FLOAT.getNumber()));
    String s = g.node("Mul", scope, new String[] {dq[1], ws});
    y = g.node("Mul", scope, new String[] {y, s});
    return g.node("Add", scope, new String[] {y, b});
  }

  /**
   * {@code x · W + b} with one asymmetric uint8 scale and zero point per row (token) of
   * {@code x}, DynamicQuantizeLinear's arithmetic applied row by row. ORT's MatMulInteger takes
   * only a scalar A zero point, so it runs with none and the zero points come off afterwards:
   * {@code (q − z)·Wq = q·Wq − z ⊗ colsum(Wq)} (float32 rounding of the int32 sums is 1e-7
   * relative, far below the quantization error). Why per row: one tensor-wide range is set by
   * the largest activation of any token in the batch, padding included, so most rows lose
   * resolution to a few (issue #13: 88 % → 98.5 % agreement with fp32 on SST-2), and a row's
   * result would depend on its batch company. With {@code split}, the codes have 16 bits and run
   * as two uint8 planes through the same weights ({@code q = 256·hi + lo}), since MatMulInteger
   * reads 8-bit activations only; VNNI accumulates each plane's products in int32.
   */
  private String perRowInt8(String x, String scope, boolean split, String wq, String ws,
      String b, String columnSum) {
    String s = scope + "/rowquant";
    String max = g.node("ReduceMax", s, new String[] {x}, attrs("axes", -1),
        attr("keepdims", 1L));
    String min = g.node("ReduceMin", s, new String[] {x}, attrs("axes", -1),
        attr("keepdims", 1L));
    // The range includes 0 so that 0 is exact (DynamicQuantizeLinear's rule).
    max = g.node("Max", s, new String[] {max, g.scalar(0f)});
    min = g.node("Min", s, new String[] {min, g.scalar(0f)});
    // 16-bit codes split into two bytes when the recipe asks for it: x ≈ scale·(256·hi + lo − z).
    float levels = split ? 65535f : 255f;
    String scale = g.node("Div", s, new String[] {
        g.node("Sub", s, new String[] {max, min}), g.scalar(levels)});
    // An all-zero row has range 0: any positive scale quantizes it to the zero point exactly.
    scale = g.node("Max", s, new String[] {scale, g.scalar(1e-12f)});
    String zero = g.node("Round", s, new String[] {
        g.node("Div", s, new String[] {g.node("Neg", s, new String[] {min}), scale})});
    zero = g.node("Clip", s, new String[] {zero, g.scalar(0f), g.scalar(levels)});
    String q = g.node("Add", s, new String[] {
        g.node("Round", s, new String[] {g.node("Div", s, new String[] {x, scale})}), zero});
    q = g.node("Clip", s, new String[] {q, g.scalar(0f), g.scalar(levels)});
    String y;
    if (split) {
      String hi = g.node("Floor", s, new String[] {g.node("Div", s, new String[] {q,
          g.scalar(256f)})});
      String lo = g.node("Sub", s, new String[] {q, g.node("Mul", s, new String[] {hi,
          g.scalar(256f)})});
      String yHi = integerProduct(hi, wq, scope);
      String yLo = integerProduct(lo, wq, scope);
      y = g.node("Add", scope, new String[] {
          g.node("Mul", scope, new String[] {yHi, g.scalar(256f)}), yLo});
    } else {
      y = integerProduct(q, wq, scope);
    }
    y = g.node("Sub", scope, new String[] {y,
        g.node("Mul", scope, new String[] {zero, columnSum})});
    y = g.node("Mul", scope, new String[] {y, scale});
    y = g.node("Mul", scope, new String[] {y, ws});
    return g.node("Add", scope, new String[] {y, b});
  }

  /** {@code float(uint8(codes) · wq)}: codes are whole numbers in [0, 255]. */
  private String integerProduct(String codes, String wq, String scope) {
    String q = g.node("Cast", scope + "/rowquant", new String[] {codes},
        attr("to", (long) DataType.UINT8.getNumber()));
    String y = g.node("MatMulInteger", scope, new String[] {q, wq});
    return g.node("Cast", scope, new String[] {y}, attr("to", (long) DataType.FLOAT.getNumber()));
  }

  /** 0.5 * x * (1 + erf(x / sqrt 2)), the exact GELU of BERT. */
  String gelu(String x, String scope) {
    String d = g.node("Div", scope + "/gelu", new String[] {x, g.scalar((float) Math.sqrt(2))});
    String e = g.node("Erf", scope + "/gelu", new String[] {d});
    String a = g.node("Add", scope + "/gelu", new String[] {e, g.scalar(1f)});
    String m = g.node("Mul", scope + "/gelu", new String[] {x, a});
    return g.node("Mul", scope + "/gelu", new String[] {m, g.scalar(0.5f)});
  }

  String layerNorm(String x, String scope) throws IOException {
    String gm = gamma(scope);
    String bt = beta(scope);
    if (!hasInitializer(gm)) {
      w(gm, config.hiddenSize());
      w(bt, config.hiddenSize());
    }
    return g.node("LayerNormalization", scope, new String[] {x, gm, bt},
        attr("axis", -1L), attr("epsilon", config.layerNormEps()));
  }

  /** Whether {@code name} was already added (and marks it added). */
  boolean hasInitializer(String name) {
    return !initialized.add(name);
  }
}
