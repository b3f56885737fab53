package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.attrs;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.Arrays;

/**
 * Emits the two towers of a HuggingFace {@code CLIPModel} as two ONNX graphs, from its weight
 * names ({@code text_model.…}, {@code vision_model.…}, {@code text_projection.weight},
 * {@code visual_projection.weight}). Two graphs rather than one with two entry points: ONNX
 * Runtime asks for every graph input on every run, and a prompt batch (ALGORITHMS.md §6.3) has no
 * pixels.
 *
 * <p><b>Text</b> ({@link #text}): int64 {@code input_ids} and {@code attention_mask}
 * {@code [batch, sequence]} (right padding, at most {@code max_position_embeddings} = 77) →
 * {@code text_embeds [batch, projection_dim]}. Token plus learned position embeddings, pre-LN
 * layers under a causal × padding mask, {@code final_layer_norm}, the hidden state at the
 * end-of-text token, {@code text_projection} (no bias). Like HF's
 * {@code CLIPTextTransformer.forward}, the end-of-text position is {@code argmax(input_ids)} when
 * the config's {@code eos_token_id} is 2 (configs from before transformers PR #24773, where the
 * end-of-text token has the largest id) and the first {@code eos_token_id} otherwise; ONNX's
 * ArgMax picks the first maximum, as torch's does.
 *
 * <p><b>Vision</b> ({@link #vision}): float {@code pixel_values [batch, 3, N, N]} (CLIP-normalised,
 * CHW) → {@code image_embeds [batch, projection_dim]}. The patch embedding is a bias-free Conv of
 * stride {@code patch_size}, flattened to {@code [batch, patches, hidden]}; the class embedding
 * is prepended, position embeddings added, {@code pre_layrnorm} (HF's spelling), the layers
 * without a mask, {@code post_layernorm} on the class token, {@code visual_projection}.
 *
 * <p>Both outputs are the unnormalised projections; the reward normalises them (§6.3). HF's
 * {@code nn.Linear} stores {@code [out, in]}; the graphs hold the transposes, so every dense
 * layer is a plain MatMul+Add that ONNX Runtime fuses as it does BERT's. Activations:
 * {@code quick_gelu} ({@code x·σ(1.702x)}) or exact {@code gelu}.
 */
public final class ClipGraph {
  public static final String INPUT_IDS = BertMlmGraph.INPUT_IDS;
  public static final String ATTENTION_MASK = BertMlmGraph.ATTENTION_MASK;
  public static final String PIXEL_VALUES = "pixel_values";
  public static final String TEXT_EMBEDS = "text_embeds";
  public static final String IMAGE_EMBEDS = "image_embeds";

  private final ClipConfig config;
  private final Weights weights;
  private final GraphBuilder g;

  private ClipGraph(ClipConfig config, Weights weights, String name) {
    this.config = config;
    this.weights = weights;
    this.g = new GraphBuilder(name);
  }

  /** The text tower and its projection; weight bytes are copied once (transposed). */
  public static ModelProto text(ClipConfig config, Weights weights, String docString)
      throws IOException {
    return new ClipGraph(config, weights, "clip_text").emitText(docString);
  }

  /** The vision tower and its projection. */
  public static ModelProto vision(ClipConfig config, Weights weights, String docString)
      throws IOException {
    return new ClipGraph(config, weights, "clip_vision").emitVision(docString);
  }

  private FloatTensor tensor(String name, long... shape) throws IOException {
    FloatTensor t = weights.get(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException("weight " + name + " has shape "
          + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
    }
    return t;
  }

  private String w(String name, long... shape) throws IOException {
    return g.initializer(name, tensor(name, shape));
  }

  /** HF's {@code [out, in]} Linear weight as an {@code [in, out]} initializer. */
  private String transposed(String name, int in, int out) throws IOException {
    float[] x = tensor(name, out, in).toFloats();
    float[] y = new float[x.length];
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        y[i * out + o] = x[o * in + i];
      }
    }
    return g.initializer(name, FloatTensor.of(y, in, out));
  }

  private ModelProto emitText(String docString) throws IOException {
    ClipConfig.Text c = config.text();
    int h = c.hiddenSize();
    var gp = g.proto();
    gp.addInput(valueInfo(INPUT_IDS, DataType.INT64, "batch", "sequence"));
    gp.addInput(valueInfo(ATTENTION_MASK, DataType.INT64, "batch", "sequence"));

    String s = "text_model.embeddings";
    String tok = g.node("Gather", s, new String[] {
        w(s + ".token_embedding.weight", c.vocabSize(), h), INPUT_IDS});
    String shape = g.node("Shape", s, new String[] {INPUT_IDS});
    String seqLen = g.node("Gather", s, new String[] {shape, g.int64(new long[] {1})});
    String range = g.node("Range", s, new String[] {g.int64(new long[] {0}), seqLen,
        g.int64(new long[] {1})});
    String pos = g.node("Gather", s, new String[] {
        w(s + ".position_embedding.weight", c.maxPositions(), h),
        g.node("Unsqueeze", s, new String[] {range, g.int64(new long[] {0}, 1)})});
    String x = g.node("Add", s, new String[] {tok, pos});

    String mask = causalMask(seqLen);
    for (int i = 0; i < c.numLayers(); i++) {
      x = layer("text_model.encoder.layers." + i, x, mask, h, c.intermediateSize(),
          c.numHeads(), c.hiddenAct(), c.layerNormEps());
    }
    x = layerNorm(x, "text_model.final_layer_norm", h, c.layerNormEps());

    // The end-of-text position per row, as HF's CLIPTextTransformer.forward picks it.
    String p = "pooler";
    String key = c.legacyArgmaxPooling() ? INPUT_IDS : g.node("Equal", p,
        new String[] {INPUT_IDS, g.int64(new long[] {c.eosTokenId()})});
    String asInt = g.node("Cast", p, new String[] {key},
        attr("to", (long) DataType.INT32.getNumber()));
    String eos = g.node("ArgMax", p, new String[] {asInt}, attr("axis", -1L),
        attr("keepdims", 1L));
    String pooled = g.node("GatherND", p, new String[] {x, eos}, attr("batch_dims", 1L));
    g.node("MatMul", "text_projection", new String[] {pooled,
        transposed("text_projection.weight", h, config.projectionDim())});
    renameLast(TEXT_EMBEDS);
    gp.addOutput(valueInfo(TEXT_EMBEDS, DataType.FLOAT, "batch", config.projectionDim()));
    return g.model(docString);
  }

  private ModelProto emitVision(String docString) throws IOException {
    ClipConfig.Vision c = config.vision();
    int h = c.hiddenSize();
    int n = c.imageSize();
    var gp = g.proto();
    gp.addInput(valueInfo(PIXEL_VALUES, DataType.FLOAT, "batch", c.numChannels(), n, n));

    String s = "vision_model.embeddings";
    String patches = g.node("Conv", s, new String[] {PIXEL_VALUES,
        w(s + ".patch_embedding.weight", h, c.numChannels(), c.patchSize(), c.patchSize())},
        attrs("kernel_shape", c.patchSize(), c.patchSize()),
        attrs("strides", c.patchSize(), c.patchSize()));
    patches = g.node("Reshape", s, new String[] {patches, g.int64(new long[] {0, h, -1}, 3)});
    patches = g.node("Transpose", s, new String[] {patches}, attrs("perm", 0, 2, 1));

    FloatTensor cls = tensor(s + ".class_embedding", h);
    String clsInit = g.initializer(s + ".class_embedding",
        new FloatTensor(new long[] {1, 1, h}, cls.data().duplicate()));
    String batch = g.node("Gather", s, new String[] {g.node("Shape", s,
        new String[] {PIXEL_VALUES}), g.int64(new long[] {0}, 1)});
    String clsShape = g.node("Concat", s, new String[] {batch, g.int64(new long[] {1, h}, 2)},
        attr("axis", 0L));
    String clsRows = g.node("Expand", s, new String[] {clsInit, clsShape});
    String x = g.node("Concat", s, new String[] {clsRows, patches}, attr("axis", 1L));
    x = g.node("Add", s, new String[] {x,
        w(s + ".position_embedding.weight", c.numPositions(), h)});
    x = layerNorm(x, "vision_model.pre_layrnorm", h, c.layerNormEps());
    for (int i = 0; i < c.numLayers(); i++) {
      x = layer("vision_model.encoder.layers." + i, x, null, h, c.intermediateSize(),
          c.numHeads(), c.hiddenAct(), c.layerNormEps());
    }
    String first = g.node("Gather", "pooler", new String[] {x, g.int64(new long[] {0})},
        attr("axis", 1L));
    first = layerNorm(first, "vision_model.post_layernorm", h, c.layerNormEps());
    g.node("MatMul", "visual_projection", new String[] {first,
        transposed("visual_projection.weight", h, config.projectionDim())});
    renameLast(IMAGE_EMBEDS);
    gp.addOutput(valueInfo(IMAGE_EMBEDS, DataType.FLOAT, "batch", config.projectionDim()));
    return g.model(docString);
  }

  /** (1 − lowerTriangle[s, s] · padding[b, 1, 1, s]) · −10000 → [b, 1, s, s]. */
  private String causalMask(String seqLen) {
    String s = "mask";
    String len1 = g.node("Unsqueeze", s, new String[] {seqLen, g.int64(new long[] {0}, 1)});
    String sq = g.node("Concat", s, new String[] {len1, len1}, attr("axis", 0L));
    String ones = g.node("ConstantOfShape", s, new String[] {sq},
        GraphBuilder.tensorAttr("value", 1f));
    String lower = g.node("Trilu", s, new String[] {ones}, attr("upper", 0L));
    String pad = g.node("Unsqueeze", s,
        new String[] {ATTENTION_MASK, g.int64(new long[] {1, 2}, 2)});
    pad = g.node("Cast", s, new String[] {pad}, attr("to", (long) DataType.FLOAT.getNumber()));
    String both = g.node("Mul", s, new String[] {lower, pad});
    String inv = g.node("Sub", s, new String[] {g.scalar(1f), both});
    return g.node("Mul", s, new String[] {inv, g.scalar(BertMlmGraph.MASK_VALUE)});
  }

  /** One {@code CLIPEncoderLayer}: x + attn(ln1(x)), then x + mlp(ln2(x)). */
  private String layer(String p, String x, String mask, int h, int inter, int heads, String act,
      float eps) throws IOException {
    String a = layerNorm(x, p + ".layer_norm1", h, eps);
    String shape4 = g.int64(new long[] {0, 0, heads, h / heads}, 4);
    String[] qkv = new String[3];
    String[] names = {"q_proj", "k_proj", "v_proj"};
    for (int j = 0; j < 3; j++) {
      qkv[j] = g.node("Reshape", p + ".self_attn",
          new String[] {dense(a, p + ".self_attn." + names[j], h, h), shape4});
    }
    String q = g.node("Transpose", p + ".self_attn", new String[] {qkv[0]},
        attrs("perm", 0, 2, 1, 3));
    String k = g.node("Transpose", p + ".self_attn", new String[] {qkv[1]},
        attrs("perm", 0, 2, 3, 1));
    String v = g.node("Transpose", p + ".self_attn", new String[] {qkv[2]},
        attrs("perm", 0, 2, 1, 3));
    String scores = g.node("MatMul", p + ".self_attn", new String[] {q, k});
    scores = g.node("Div", p + ".self_attn",
        new String[] {scores, g.scalar((float) Math.sqrt(h / heads))});
    if (mask != null) {
      scores = g.node("Add", p + ".self_attn", new String[] {scores, mask});
    }
    String probs = g.node("Softmax", p + ".self_attn", new String[] {scores}, attr("axis", -1L));
    String ctx = g.node("MatMul", p + ".self_attn", new String[] {probs, v});
    ctx = g.node("Transpose", p + ".self_attn", new String[] {ctx}, attrs("perm", 0, 2, 1, 3));
    ctx = g.node("Reshape", p + ".self_attn",
        new String[] {ctx, g.int64(new long[] {0, 0, h}, 3)});
    x = g.node("Add", p, new String[] {x, dense(ctx, p + ".self_attn.out_proj", h, h)});
    String m = layerNorm(x, p + ".layer_norm2", h, eps);
    m = activation(dense(m, p + ".mlp.fc1", h, inter), p + ".mlp", act);
    m = dense(m, p + ".mlp.fc2", inter, h);
    return g.node("Add", p, new String[] {x, m});
  }

  private String dense(String x, String scope, int in, int out) throws IOException {
    String k = transposed(scope + ".weight", in, out);
    String b = w(scope + ".bias", out);
    return g.node("Add", scope, new String[] {g.node("MatMul", scope, new String[] {x, k}), b});
  }

  private String activation(String x, String scope, String act) {
    if (ClipConfig.QUICK_GELU.equals(act)) {
      // x · sigmoid(1.702 x), OpenAI CLIP's QuickGELU.
      String s = scope + "/quick_gelu";
      String sig = g.node("Sigmoid", s, new String[] {
          g.node("Mul", s, new String[] {x, g.scalar(1.702f)})});
      return g.node("Mul", s, new String[] {x, sig});
    }
    String s = scope + "/gelu";
    String d = g.node("Div", s, new String[] {x, g.scalar((float) Math.sqrt(2))});
    String e = g.node("Add", s, new String[] {g.node("Erf", s, new String[] {d}), g.scalar(1f)});
    return g.node("Mul", s, new String[] {g.node("Mul", s, new String[] {x, e}), g.scalar(0.5f)});
  }

  private String layerNorm(String x, String scope, int h, float eps) throws IOException {
    String gm = w(scope + ".weight", h);
    String bt = w(scope + ".bias", h);
    return g.node("LayerNormalization", scope, new String[] {x, gm, bt},
        attr("axis", -1L), attr("epsilon", eps));
  }

  private String renameLast(String name) {
    var gp = g.proto();
    gp.getNodeBuilder(gp.getNodeCount() - 1).setOutput(0, name);
    return name;
  }
}
