package dev.pin.platform.models.onnx;

import static dev.pin.platform.models.onnx.BertNames.beta;
import static dev.pin.platform.models.onnx.BertNames.bias;
import static dev.pin.platform.models.onnx.BertNames.gamma;
import static dev.pin.platform.models.onnx.BertNames.kernel;
import static dev.pin.platform.models.onnx.GraphBuilder.attr;
import static dev.pin.platform.models.onnx.GraphBuilder.attrs;
import static dev.pin.platform.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Emits BERT (encoder + masked-LM head) as an ONNX model from checkpoint weights.
 *
 * <p>Inputs: int64 {@code input_ids}, {@code attention_mask}, {@code token_type_ids}, all
 * {@code [batch, sequence]}, and int64 {@code positions} {@code [batch, k]}. Outputs:
 * {@code last_hidden_state} {@code [batch, sequence, hidden]} and {@code logits}
 * {@code [batch, k, vocab]}, the MLM head applied at {@code positions[b][j]} of each row; passing
 * {@code 0 … sequence-1} gives the usual {@code [batch, sequence, vocab]} logits. Why positions:
 * ONNX Runtime executes every node whatever outputs are requested, so an all-positions head would
 * add about 28% to every BERT-base call (24M of 109M MACs per token) and a vocab × sequence
 * tensor, while the callers (fill-mask, the reward's verbaliser logits, pseudo-perplexity of
 * ALGORITHMS.md §7.3) need one position per row.
 *
 * <p>The head is dense → GELU(erf) → LayerNorm → decoder tied to the word embeddings + output
 * bias (MODELS.md). Patterns are emitted in the form ORT fuses (opset 17 LayerNormalization,
 * Div/Erf/Add/Mul/Mul GELU, MatMul+Add, Softmax attention with an additive mask).
 */
public final class BertMlmGraph {
  public static final String INPUT_IDS = "input_ids";
  public static final String ATTENTION_MASK = "attention_mask";
  public static final String TOKEN_TYPE_IDS = "token_type_ids";
  public static final String POSITIONS = "positions";
  public static final String LOGITS = "logits";
  public static final String LAST_HIDDEN_STATE = "last_hidden_state";

  static final int OPSET = 17;
  static final long IR_VERSION = 8;
  /** Additive attention-mask value for padding (HF BERT's classic choice; safe in fp16 too). */
  static final float MASK_VALUE = -10000f;

  private final BertConfig config;
  private final Weights weights;
  private final Precision precision;
  private final GraphBuilder g = new GraphBuilder("bert_mlm");

  private BertMlmGraph(BertConfig config, Weights weights, Precision precision) {
    this.config = config;
    this.weights = weights;
    this.precision = precision;
  }

  /** Builds the float32 model proto; weight bytes are wrapped, not copied. */
  public static ModelProto build(BertConfig config, Weights weights, String docString)
      throws IOException {
    return build(config, weights, docString, Precision.FP32);
  }

  /** Builds the model proto in {@code precision} (see {@link Precision}). */
  public static ModelProto build(BertConfig config, Weights weights, String docString,
      Precision precision) throws IOException {
    return new BertMlmGraph(config, weights, precision).emit(docString);
  }

  /** Writes {@code model} to {@code file} (protobuf, single file). */
  public static void write(ModelProto model, Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      model.writeTo(out);
    }
  }

  private String w(String name, long... expectedShape) throws IOException {
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), expectedShape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(expectedShape));
    }
    return g.initializer(name, t);
  }

  private ModelProto emit(String docString) throws IOException {
    int h = config.hiddenSize();
    var gp = g.proto();
    gp.addInput(valueInfo(INPUT_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(ATTENTION_MASK, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(TOKEN_TYPE_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(POSITIONS, DataType.INT64, "batch", "positions"));

    String x = embeddings();
    String mask = additiveMask();
    for (int i = 0; i < config.numLayers(); i++) {
      x = layer(i, x, mask);
    }
    g.node("Identity", "output", new String[] {x});
    String hidden = renameLast(LAST_HIDDEN_STATE);

    String wordT = g.node("Transpose", "cls/predictions/decoder",
        new String[] {BertNames.WORD_EMBEDDINGS}, attrs("perm", 1, 0));
    // GatherND with batch_dims=1 picks hidden[b, positions[b, j], :] → [batch, k, hidden].
    String idx = g.node("Unsqueeze", "gather_positions",
        new String[] {POSITIONS, g.int64(new long[] {2}, 1)});
    String picked = g.node("GatherND", "gather_positions", new String[] {hidden, idx},
        attr("batch_dims", 1L));
    head(picked, wordT, "cls/predictions");
    renameLast(LOGITS);

    gp.addOutput(valueInfo(LAST_HIDDEN_STATE, DataType.FLOAT, "batch", "sequence", h));
    gp.addOutput(valueInfo(LOGITS, DataType.FLOAT, "batch", "positions", config.vocabSize()));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("pin")
        .setDocString(docString)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(gp)
        .build();
  }

  /** Renames the last node's output to a graph output name. */
  private String renameLast(String name) {
    var gp = g.proto();
    var node = gp.getNodeBuilder(gp.getNodeCount() - 1);
    node.setOutput(0, name);
    return name;
  }

  private String embeddings() throws IOException {
    int h = config.hiddenSize();
    String s = "bert/embeddings";
    String word = g.node("Gather", s, new String[] {
        w(BertNames.WORD_EMBEDDINGS, config.vocabSize(), h), INPUT_IDS});
    String type = g.node("Gather", s, new String[] {
        w(BertNames.TOKEN_TYPE_EMBEDDINGS, config.typeVocabSize(), h), TOKEN_TYPE_IDS});
    String shape = g.node("Shape", s, new String[] {INPUT_IDS});
    String seqLen = g.node("Gather", s, new String[] {shape, g.int64(new long[] {1})});
    String range = g.node("Range", s, new String[] {
        g.int64(new long[] {0}), seqLen, g.int64(new long[] {1})});
    String positionIds = g.node("Unsqueeze", s,
        new String[] {range, g.int64(new long[] {0}, 1)});
    String pos = g.node("Gather", s, new String[] {
        w(BertNames.POSITION_EMBEDDINGS, config.maxPositions(), h), positionIds});
    String sum = g.node("Add", s, new String[] {word, type});
    sum = g.node("Add", s, new String[] {sum, pos});
    return layerNorm(sum, BertNames.EMBEDDINGS_LN);
  }

  /** (1 - mask) * -10000, shaped [batch, 1, 1, sequence] to broadcast over heads and queries. */
  private String additiveMask() {
    String s = "bert/encoder/mask";
    String m = g.node("Unsqueeze", s, new String[] {ATTENTION_MASK, g.int64(new long[] {1, 2}, 2)});
    m = g.node("Cast", s, new String[] {m}, attr("to", (long) DataType.FLOAT.getNumber()));
    m = g.node("Sub", s, new String[] {g.scalar(1f), m});
    return g.node("Mul", s, new String[] {m, g.scalar(MASK_VALUE)});
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

  /** dense → GELU → LayerNorm → tied decoder + output bias. */
  private void head(String hidden, String wordT, String scope) throws IOException {
    int h = config.hiddenSize();
    String t = dense(hidden, BertNames.HEAD_DENSE, h, h);
    t = gelu(t, scope + "/transform");
    t = layerNorm(t, BertNames.HEAD_LN);
    String logits = g.node("MatMul", scope, new String[] {t, wordT});
    String outputBias = BertNames.OUTPUT_BIAS;
    if (!hasInitializer(outputBias)) {
      w(outputBias, config.vocabSize());
    }
    g.node("Add", scope, new String[] {logits, outputBias});
  }

  private String dense(String x, String scope, int in, int out) throws IOException {
    if (precision == Precision.INT8 && scope.startsWith("bert/encoder/")) {
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

  /**
   * ORT's dynamic-quantization form of {@code x · W + b}: per-call uint8 activations, int8
   * weights with per-column symmetric scales (zero point 0, so no B zero-point input).
   */
  private String denseInt8(String x, String scope, int in, int out) throws IOException {
    FloatTensor kernel = weights.get(kernel(scope));
    if (!Arrays.equals(kernel.shape(), new long[] {in, out})) {
      throw new IllegalArgumentException("weight " + kernel(scope) + " has shape "
          + Arrays.toString(kernel.shape()) + ", expected [" + in + ", " + out + "]");
    }
    float[] w = kernel.toFloats();
    float[] scale = new float[out];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        scale[o] = Math.max(scale[o], Math.abs(w[i * out + o]));
      }
    }
    for (int o = 0; o < out; o++) {
      scale[o] = scale[o] == 0 ? 1f : scale[o] / 127f;
    }
    byte[] q = new byte[in * out];
    for (int i = 0; i < in; i++) {
      for (int o = 0; o < out; o++) {
        q[i * out + o] = (byte) Math.max(-127, Math.min(127, Math.round(w[i * out + o] / scale[o])));
      }
    }
    String wq = g.int8(kernel(scope) + "_quantized", q, in, out);
    String ws = g.initializer(kernel(scope) + "_scale", FloatTensor.of(scale, out));
    String b = g.initializer(bias(scope), weights.get(bias(scope)));
    String[] dq = g.nodeMulti("DynamicQuantizeLinear", scope, 3, new String[] {x});
    String y = g.node("MatMulInteger", scope, new String[] {dq[0], wq, dq[2]});
    y = g.node("Cast", scope, new String[] {y}, attr("to", (long) DataType.FLOAT.getNumber()));
    String s = g.node("Mul", scope, new String[] {dq[1], ws});
    y = g.node("Mul", scope, new String[] {y, s});
    return g.node("Add", scope, new String[] {y, b});
  }

  /** 0.5 * x * (1 + erf(x / sqrt 2)), the exact GELU of BERT. */
  private String gelu(String x, String scope) {
    String d = g.node("Div", scope + "/gelu", new String[] {x, g.scalar((float) Math.sqrt(2))});
    String e = g.node("Erf", scope + "/gelu", new String[] {d});
    String a = g.node("Add", scope + "/gelu", new String[] {e, g.scalar(1f)});
    String m = g.node("Mul", scope + "/gelu", new String[] {x, a});
    return g.node("Mul", scope + "/gelu", new String[] {m, g.scalar(0.5f)});
  }

  private String layerNorm(String x, String scope) throws IOException {
    String gm = gamma(scope);
    String bt = beta(scope);
    if (!hasInitializer(gm)) {
      w(gm, config.hiddenSize());
      w(bt, config.hiddenSize());
    }
    return g.node("LayerNormalization", scope, new String[] {x, gm, bt},
        attr("axis", -1L), attr("epsilon", config.layerNormEps()));
  }

  private final java.util.Set<String> initialized = new java.util.HashSet<>();

  private boolean hasInitializer(String name) {
    return !initialized.add(name);
  }
}
