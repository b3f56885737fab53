package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.attrs;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Emits GPT-2 (causal LM, tied LM head) as ONNX from HuggingFace {@code GPT2LMHeadModel} weight
 * names without the {@code transformer.} prefix ({@code wte.weight}, {@code h.0.attn.c_attn.weight}
 * …). HF's {@code Conv1D} stores {@code [in, out]}, so kernels are used as they are.
 *
 * <p>Inputs ({@link CausalLayout#PIN}): int64 {@code input_ids} {@code [batch, sequence]}, {@code
 * attention_mask} {@code [batch, past + sequence]} (the cached columns, then the new ones; zeros
 * mark padding on either side), {@code positions} {@code [batch, k]} and, per layer, the key/value
 * cache {@code past_key_values.N.key|value} {@code [batch, heads, past, head]} (past = 0 on the
 * first step). Position ids are {@code cumsum(attention_mask) − 1} over past and new columns (HF's
 * {@code generate} convention), so left-padded, right-padded and cached rows all get their real
 * positions. Outputs: {@code last_hidden_state} {@code [batch, sequence, hidden]} after {@code
 * ln_f} (the policy's {@code h_t}, ALGORITHMS.md §2), {@code logits} {@code [batch, k, vocab]} at
 * the requested positions (see {@link BertMlmGraph} for why positions) and {@code
 * present.N.key|value} {@code [batch, heads, past + sequence, head]}, the next step's cache. The
 * attention mask is causal (offset by the past) × padding; GELU is GPT-2's tanh approximation.
 * {@link CausalLayout#OPTIMUM} emits HF optimum's interface instead (see there).
 */
public final class Gpt2Graph {
  public static final String INPUT_IDS = BertMlmGraph.INPUT_IDS;
  public static final String ATTENTION_MASK = BertMlmGraph.ATTENTION_MASK;
  public static final String POSITIONS = BertMlmGraph.POSITIONS;
  public static final String LOGITS = BertMlmGraph.LOGITS;
  public static final String LAST_HIDDEN_STATE = BertMlmGraph.LAST_HIDDEN_STATE;

  public static final String POSITION_IDS = CausalLayout.POSITION_IDS;

  private final Gpt2Config config;
  private final Weights weights;
  private final CausalLayout layout;
  private final GraphBuilder g = new GraphBuilder("gpt2_clm");
  private final Set<String> initialized = new HashSet<>();

  private Gpt2Graph(Gpt2Config config, Weights weights, CausalLayout layout) {
    this.config = config;
    this.weights = weights;
    this.layout = layout;
  }

  /** Builds the model proto in {@link CausalLayout#PIN}; weight bytes are wrapped, not copied. */
  public static ModelProto build(Gpt2Config config, Weights weights, String docString)
      throws IOException {
    return build(config, weights, docString, CausalLayout.PIN);
  }

  /** Builds the model proto in {@code layout}. */
  public static ModelProto build(Gpt2Config config, Weights weights, String docString,
      CausalLayout layout) throws IOException {
    return new Gpt2Graph(config, weights, layout).emit(docString);
  }

  private String w(String name, long... shape) throws IOException {
    if (!initialized.add(name)) {
      return name;
    }
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
    }
    return g.initializer(name, t);
  }

  private void check(String name, long... shape) throws IOException {
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
    }
  }

  /** A slice of columns [from, from + n) of a [rows, cols] kernel or a [cols] bias. */
  private String columns(String name, String sliceName, int from, int n) throws IOException {
    FloatTensor t = weights.get(name);
    float[] x = t.toFloats();
    if (t.shape().length == 1) {
      return g.initializer(sliceName, FloatTensor.of(Arrays.copyOfRange(x, from, from + n), n));
    }
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] out = new float[rows * n];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(x, r * cols + from, out, r * n, n);
    }
    return g.initializer(sliceName, FloatTensor.of(out, rows, n));
  }

  private ModelProto emit(String docString) throws IOException {
    int h = config.hiddenSize();
    var gp = g.proto();
    gp.addInput(valueInfo(INPUT_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(ATTENTION_MASK, DataType.INT64, "batch", "total"));
    if (layout == CausalLayout.PIN) {
      gp.addInput(valueInfo(POSITIONS, DataType.INT64, "batch", "positions"));
    } else {
      gp.addInput(valueInfo(POSITION_IDS, DataType.INT64, "batch", "sequence"));
    }
    CausalLayout.addPastInputs(gp, config.numLayers(), config.numHeads(), config.headSize());

    String s = "embeddings";
    String tok = g.node("Gather", s, new String[] {w("wte.weight", config.vocabSize(), h),
        INPUT_IDS});
    CausalLayout.Lengths len = CausalLayout.lengths(g);
    String positionIds = layout == CausalLayout.PIN
        ? CausalLayout.positionIdsFromMask(g, len, false) : POSITION_IDS;
    String pos = g.node("Gather", s, new String[] {w("wpe.weight", config.maxPositions(), h),
        positionIds});
    String x = g.node("Add", s, new String[] {tok, pos});

    String mask = CausalLayout.attentionBias(g, len);
    for (int i = 0; i < config.numLayers(); i++) {
      x = block(i, x, mask);
    }
    x = layerNorm(x, "ln_f");
    g.node("Identity", "output", new String[] {x});
    String hidden = renameLast(LAST_HIDDEN_STATE);
    CausalLayout.tiedHead(g, layout, hidden, "wte.weight");

    if (layout == CausalLayout.PIN) {
      gp.addOutput(valueInfo(LAST_HIDDEN_STATE, DataType.FLOAT, "batch", "sequence", h));
      gp.addOutput(valueInfo(LOGITS, DataType.FLOAT, "batch", "positions", config.vocabSize()));
    } else {
      // As optimum's causal-lm export: logits and the cache only, no hidden states.
      gp.addOutput(valueInfo(LOGITS, DataType.FLOAT, "batch", "sequence", config.vocabSize()));
    }
    CausalLayout.addPresentOutputs(gp, config.numLayers(), config.numHeads(), config.headSize());
    return g.model(docString);
  }

  private String block(int i, String x, String mask) throws IOException {
    int h = config.hiddenSize();
    String p = "h." + i;
    String a = layerNorm(x, p + ".ln_1");
    String shape4 = g.int64(new long[] {0, 0, config.numHeads(), config.headSize()}, 4);
    String[] qkv = new String[3];
    String[] names = {"q", "k", "v"};
    check(p + ".attn.c_attn.weight", h, 3L * h);
    check(p + ".attn.c_attn.bias", 3L * h);
    for (int j = 0; j < 3; j++) {
      String k = columns(p + ".attn.c_attn.weight", p + ".attn." + names[j] + ".weight", j * h, h);
      String b = columns(p + ".attn.c_attn.bias", p + ".attn." + names[j] + ".bias", j * h, h);
      String y = g.node("Add", p + ".attn." + names[j],
          new String[] {g.node("MatMul", p + ".attn." + names[j], new String[] {a, k}), b});
      qkv[j] = g.node("Reshape", p + ".attn", new String[] {y, shape4});
    }
    String ctx = CausalLayout.cachedAttention(g, p + ".attn", i, qkv[0], qkv[1], qkv[2], mask,
        (float) (1 / Math.sqrt(config.headSize())), h);
    String o = dense(ctx, p + ".attn.c_proj", h, h);
    x = g.node("Add", p, new String[] {x, o});
    String m = layerNorm(x, p + ".ln_2");
    m = geluTanh(dense(m, p + ".mlp.c_fc", h, 4 * h), p + ".mlp");
    m = dense(m, p + ".mlp.c_proj", 4 * h, h);
    return g.node("Add", p, new String[] {x, m});
  }

  private String dense(String x, String scope, int in, int out) throws IOException {
    String k = w(scope + ".weight", in, out);
    String b = w(scope + ".bias", out);
    return g.node("Add", scope, new String[] {g.node("MatMul", scope, new String[] {x, k}), b});
  }

  /** 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), GPT-2's "gelu_new". */
  private String geluTanh(String x, String scope) {
    String s = scope + "/gelu";
    String x3 = g.node("Mul", s, new String[] {g.node("Mul", s, new String[] {x, x}), x});
    String inner = g.node("Add", s,
        new String[] {x, g.node("Mul", s, new String[] {x3, g.scalar(0.044715f)})});
    inner = g.node("Mul", s, new String[] {inner, g.scalar((float) Math.sqrt(2 / Math.PI))});
    String t = g.node("Add", s, new String[] {g.node("Tanh", s, new String[] {inner}),
        g.scalar(1f)});
    return g.node("Mul", s, new String[] {g.node("Mul", s, new String[] {x, t}),
        g.scalar(0.5f)});
  }

  private String layerNorm(String x, String scope) throws IOException {
    String gm = w(scope + ".weight", config.hiddenSize());
    String bt = w(scope + ".bias", config.hiddenSize());
    return g.node("LayerNormalization", scope, new String[] {x, gm, bt},
        attr("axis", -1L), attr("epsilon", config.layerNormEps()));
  }

  private String renameLast(String name) {
    var gp = g.proto();
    gp.getNodeBuilder(gp.getNodeCount() - 1).setOutput(0, name);
    return name;
  }
}
