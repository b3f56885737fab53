package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Emits OPT ({@code OPTForCausalLM}, HF modeling_opt semantics) as ONNX from HF weight names
 * without the {@code model.decoder.} prefix ({@code embed_tokens.weight}, {@code
 * layers.0.self_attn.q_proj.weight} …). HF's {@code nn.Linear} stores {@code [out, in]}, so
 * kernels are transposed once here.
 *
 * <p>Both layouts of the family: pre-LN ({@code do_layer_norm_before}, opt-125m and most sizes,
 * with the decoder's {@code final_layer_norm}) and post-LN (opt-350m, where LayerNorm follows each
 * residual and the 512-wide embeddings are projected to the 1024-wide decoder by {@code
 * project_in} and back by {@code project_out}). Learned positions are {@code cumsum(mask)·mask −
 * 1 + 2} (OPT's offset of 2; padding lands on row 1), ReLU feed-forward, and the LM head is tied
 * to {@code embed_tokens}. Inputs, outputs and the key/value cache are those of {@link
 * CausalLayout}; {@code last_hidden_state} is HF's {@code OPTModel} output (after {@code
 * final_layer_norm} and {@code project_out}, width {@code word_embed_proj_dim}).
 */
public final class OptGraph {
  private final OptConfig config;
  private final Weights weights;
  private final CausalLayout layout;
  private final GraphBuilder g = new GraphBuilder("opt_clm");
  private final Set<String> initialized = new HashSet<>();

  private OptGraph(OptConfig config, Weights weights, CausalLayout layout) {
    this.config = config;
    this.weights = weights;
    this.layout = layout;
  }

  /** Builds the model proto in {@code layout}. */
  public static ModelProto build(OptConfig config, Weights weights, String docString,
      CausalLayout layout) throws IOException {
    return new OptGraph(config, weights, layout).emit(docString);
  }

  private FloatTensor checked(String name, long... shape) throws IOException {
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
    }
    return t;
  }

  private String w(String name, long... shape) throws IOException {
    if (!initialized.add(name)) {
      return name;
    }
    return g.initializer(name, checked(name, shape));
  }

  /** An {@code nn.Linear} weight {@code [out, in]} as a MatMul kernel {@code [in, out]}. */
  private String kernel(String name, int in, int out) throws IOException {
    float[] x = checked(name, out, in).toFloats();
    float[] t = new float[x.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        t[i * out + o] = x[o * in + i];
      }
    }
    return g.initializer(name + ".T", FloatTensor.of(t, in, out));
  }

  private ModelProto emit(String docString) throws IOException {
    int h = config.hiddenSize();
    int e = config.wordEmbedProjDim();
    var gp = g.proto();
    gp.addInput(valueInfo(BertMlmGraph.INPUT_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(BertMlmGraph.ATTENTION_MASK, DataType.INT64, "batch", "total"));
    if (layout == CausalLayout.PIN) {
      gp.addInput(valueInfo(BertMlmGraph.POSITIONS, DataType.INT64, "batch", "positions"));
    }
    CausalLayout.addPastInputs(gp, config.numLayers(), config.numHeads(), config.headSize());

    String s = "embeddings";
    String x = g.node("Gather", s, new String[] {w("embed_tokens.weight", config.vocabSize(), e),
        BertMlmGraph.INPUT_IDS});
    if (config.projects()) {
      x = g.node("MatMul", "project_in", new String[] {x, kernel("project_in.weight", e, h)});
    }
    CausalLayout.Lengths len = CausalLayout.lengths(g);
    String ids = g.node("Add", s, new String[] {CausalLayout.positionIdsFromMask(g, len, true),
        g.int64(new long[] {OptConfig.POSITION_OFFSET})});
    String pos = g.node("Gather", s, new String[] {w("embed_positions.weight",
        config.maxPositions() + OptConfig.POSITION_OFFSET, h), ids});
    x = g.node("Add", s, new String[] {x, pos});

    String mask = CausalLayout.attentionBias(g, len);
    for (int i = 0; i < config.numLayers(); i++) {
      x = layer(i, x, mask);
    }
    if (config.finalLayerNorm()) {
      x = layerNorm(x, "final_layer_norm");
    }
    if (config.projects()) {
      x = g.node("MatMul", "project_out", new String[] {x, kernel("project_out.weight", h, e)});
    }
    g.node("Identity", "output", new String[] {x});
    String hidden = CausalLayout.renameLast(g, BertMlmGraph.LAST_HIDDEN_STATE);
    CausalLayout.tiedHead(g, layout, hidden, "embed_tokens.weight");

    gp.addOutput(valueInfo(BertMlmGraph.LOGITS, DataType.FLOAT, "batch",
        layout == CausalLayout.PIN ? "positions" : "sequence", config.vocabSize()));
    if (layout == CausalLayout.PIN) { // optimum's export has no hidden states
      gp.addOutput(valueInfo(BertMlmGraph.LAST_HIDDEN_STATE, DataType.FLOAT, "batch",
          "sequence", e));
    }
    CausalLayout.addPresentOutputs(gp, config.numLayers(), config.numHeads(), config.headSize());
    return g.model(docString);
  }

  private String layer(int i, String x, String mask) throws IOException {
    int h = config.hiddenSize();
    String p = "layers." + i;
    boolean pre = config.doLayerNormBefore();
    String a = pre ? layerNorm(x, p + ".self_attn_layer_norm") : x;
    String shape4 = g.int64(new long[] {0, 0, config.numHeads(), config.headSize()}, 4);
    String[] qkv = new String[3];
    String[] names = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; j++) {
      String y = linear(a, p + ".self_attn." + names[j], h, h);
      qkv[j] = g.node("Reshape", p + ".self_attn", new String[] {y, shape4});
    }
    String ctx = CausalLayout.cachedAttention(g, p + ".self_attn", i, qkv[0], qkv[1], qkv[2],
        mask, (float) (1 / Math.sqrt(config.headSize())), h);
    x = g.node("Add", p, new String[] {x, linear(ctx, p + ".self_attn.out_proj", h, h)});
    if (!pre) {
      x = layerNorm(x, p + ".self_attn_layer_norm");
    }
    String m = pre ? layerNorm(x, p + ".final_layer_norm") : x;
    m = g.node("Relu", p + ".fc1", new String[] {linear(m, p + ".fc1", h, config.ffnDim())});
    m = linear(m, p + ".fc2", config.ffnDim(), h);
    x = g.node("Add", p, new String[] {x, m});
    return pre ? x : layerNorm(x, p + ".final_layer_norm");
  }

  private String linear(String x, String scope, int in, int out) throws IOException {
    String k = kernel(scope + ".weight", in, out);
    String b = w(scope + ".bias", out);
    return g.node("Add", scope, new String[] {g.node("MatMul", scope, new String[] {x, k}), b});
  }

  private String layerNorm(String x, String scope) throws IOException {
    String gm = w(scope + ".weight", config.hiddenSize());
    String bt = w(scope + ".bias", config.hiddenSize());
    return g.node("LayerNormalization", scope, new String[] {x, gm, bt},
        attr("axis", -1L), attr("epsilon", config.layerNormEps()));
  }
}
