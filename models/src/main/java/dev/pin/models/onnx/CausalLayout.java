package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.attrs;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;

/**
 * The interface of a causal-LM graph with a key/value cache, and the graph pieces GPT-2 and OPT
 * share (position ids from the attention mask, the causal × padding bias offset by the cached
 * length, attention over cached and new keys, the tied LM head).
 *
 * <p>Both layouts take {@code input_ids} {@code [batch, sequence]}, {@code attention_mask}
 * {@code [batch, past + sequence]} and {@code past_key_values.N.key|value} {@code [batch, heads,
 * past, head]}, and emit {@code present.N.key|value} {@code [batch, heads, past + sequence,
 * head]}; a zero-length past is the first step.
 */
public enum CausalLayout {
  /**
   * pin's own: a {@code positions} input {@code [batch, k]} selects where the LM head runs
   * ({@code logits [batch, k, vocab]}), and position ids are computed from the mask.
   */
  PIN,
  /**
   * HF optimum's {@code ORTModelForCausalLM} export: no {@code positions} input, {@code logits}
   * {@code [batch, sequence, vocab]} at every position and no {@code last_hidden_state}; GPT-2
   * takes {@code position_ids} {@code [batch, sequence]}, OPT computes them from the mask as its
   * HF forward does. pin builds it only to test the optimum import on tiny models.
   */
  OPTIMUM;

  public static final String POSITION_IDS = "position_ids";

  /** Input name of layer {@code layer}'s cached keys ({@code kind} = key) or values. */
  public static String pastName(int layer, String kind) {
    return "past_key_values." + layer + "." + kind;
  }

  /** Output name of layer {@code layer}'s updated cache. */
  public static String presentName(int layer, String kind) {
    return "present." + layer + "." + kind;
  }

  /** Scalar lengths of the current call: new tokens, past + new, and past. */
  record Lengths(String seq, String total, String past) {}

  static void addPastInputs(GraphProto.Builder gp, int layers, int heads, int headSize) {
    for (int i = 0; i < layers; i++) {
      for (String kind : new String[] {"key", "value"}) {
        gp.addInput(valueInfo(pastName(i, kind), DataType.FLOAT, "batch", heads,
            "past_sequence", headSize));
      }
    }
  }

  static void addPresentOutputs(GraphProto.Builder gp, int layers, int heads, int headSize) {
    for (int i = 0; i < layers; i++) {
      for (String kind : new String[] {"key", "value"}) {
        gp.addOutput(valueInfo(presentName(i, kind), DataType.FLOAT, "batch", heads,
            "total", headSize));
      }
    }
  }

  /** Sequence, total and past lengths as int64 scalars, from the input shapes. */
  static Lengths lengths(GraphBuilder g) {
    String s = "lengths";
    String one = g.int64(new long[] {1});
    String seq = g.node("Gather", s, new String[] {g.node("Shape", s,
        new String[] {BertMlmGraph.INPUT_IDS}), one});
    String total = g.node("Gather", s, new String[] {g.node("Shape", s,
        new String[] {BertMlmGraph.ATTENTION_MASK}), one});
    String past = g.node("Sub", s, new String[] {total, seq});
    return new Lengths(seq, total, past);
  }

  /**
   * Position ids of the new tokens, {@code [batch, sequence]}: {@code cumsum(mask) − 1} over all
   * columns, the last {@code sequence} of them. Padding columns get 0 (GPT-2) or, with {@code
   * optStyle}, OPT's {@code cumsum(mask)·mask − 1 = −1}, which OPT's offset of 2 turns into its
   * padding row 1 (HF {@code OPTLearnedPositionalEmbedding}).
   */
  static String positionIdsFromMask(GraphBuilder g, Lengths len, boolean optStyle) {
    String s = "position_ids";
    String cum = g.node("CumSum", s, new String[] {BertMlmGraph.ATTENTION_MASK,
        g.int64(new long[] {1})});
    String pos;
    if (optStyle) {
      pos = g.node("Sub", s, new String[] {g.node("Mul", s,
          new String[] {cum, BertMlmGraph.ATTENTION_MASK}), g.int64(new long[] {1})});
    } else {
      pos = g.node("Max", s, new String[] {g.node("Sub", s,
          new String[] {cum, g.int64(new long[] {1})}), g.int64(new long[] {0})});
    }
    String start = g.node("Unsqueeze", s, new String[] {len.past(),
        g.int64(new long[] {0}, 1)});
    return g.node("Slice", s, new String[] {pos, start,
        g.int64(new long[] {Long.MAX_VALUE}, 1), g.int64(new long[] {1}, 1)});
  }

  /**
   * Additive attention bias {@code [batch, 1, sequence, total]}: 0 where new token i (at absolute
   * column past + i) may see column j ≤ past + i that is not padding, −10000 elsewhere.
   */
  static String attentionBias(GraphBuilder g, Lengths len) {
    String s = "mask";
    String seq1 = g.node("Unsqueeze", s, new String[] {len.seq(), g.int64(new long[] {0}, 1)});
    String tot1 = g.node("Unsqueeze", s, new String[] {len.total(),
        g.int64(new long[] {0}, 1)});
    String shape = g.node("Concat", s, new String[] {seq1, tot1}, attr("axis", 0L));
    String ones = g.node("ConstantOfShape", s, new String[] {shape},
        GraphBuilder.tensorAttr("value", 1f));
    String lower = g.node("Trilu", s, new String[] {ones, len.past()}, attr("upper", 0L));
    String pad = g.node("Unsqueeze", s,
        new String[] {BertMlmGraph.ATTENTION_MASK, g.int64(new long[] {1, 2}, 2)});
    pad = g.node("Cast", s, new String[] {pad}, attr("to", (long) DataType.FLOAT.getNumber()));
    String both = g.node("Mul", s, new String[] {lower, pad});
    String inv = g.node("Sub", s, new String[] {g.scalar(1f), both});
    return g.node("Mul", s, new String[] {inv, g.scalar(BertMlmGraph.MASK_VALUE)});
  }

  /**
   * Multi-head attention of new queries over cached + new keys. {@code q}, {@code k}, {@code v}
   * are {@code [batch, sequence, heads, head]}; the concatenated keys and values become layer
   * {@code layer}'s {@code present} outputs. Returns the context {@code [batch, sequence, width]}.
   */
  static String cachedAttention(GraphBuilder g, String scope, int layer, String q, String k,
      String v, String bias, float scale, int width) {
    String qt = g.node("Transpose", scope, new String[] {q}, attrs("perm", 0, 2, 1, 3));
    String kt = g.node("Transpose", scope, new String[] {k}, attrs("perm", 0, 2, 1, 3));
    String vt = g.node("Transpose", scope, new String[] {v}, attrs("perm", 0, 2, 1, 3));
    g.node("Concat", scope, new String[] {pastName(layer, "key"), kt}, attr("axis", 2L));
    String keys = renameLast(g, presentName(layer, "key"));
    g.node("Concat", scope, new String[] {pastName(layer, "value"), vt}, attr("axis", 2L));
    String values = renameLast(g, presentName(layer, "value"));
    String keysT = g.node("Transpose", scope, new String[] {keys}, attrs("perm", 0, 1, 3, 2));
    String scores = g.node("MatMul", scope, new String[] {qt, keysT});
    scores = g.node("Mul", scope, new String[] {scores, g.scalar(scale)});
    scores = g.node("Add", scope, new String[] {scores, bias});
    String probs = g.node("Softmax", scope, new String[] {scores}, attr("axis", -1L));
    String ctx = g.node("MatMul", scope, new String[] {probs, values});
    ctx = g.node("Transpose", scope, new String[] {ctx}, attrs("perm", 0, 2, 1, 3));
    return g.node("Reshape", scope, new String[] {ctx, g.int64(new long[] {0, 0, width}, 3)});
  }

  /**
   * The tied LM head {@code hidden · Eᵀ}: at the {@code positions} input ({@link #PIN}) or at
   * every position ({@link #OPTIMUM}); the output is named {@code logits}.
   */
  static void tiedHead(GraphBuilder g, CausalLayout layout, String hidden, String embedding) {
    String picked = hidden;
    if (layout == PIN) {
      String idx = g.node("Unsqueeze", "gather_positions",
          new String[] {BertMlmGraph.POSITIONS, g.int64(new long[] {2}, 1)});
      picked = g.node("GatherND", "gather_positions", new String[] {hidden, idx},
          attr("batch_dims", 1L));
    }
    String embT = g.node("Transpose", "lm_head", new String[] {embedding}, attrs("perm", 1, 0));
    g.node("MatMul", "lm_head", new String[] {picked, embT});
    renameLast(g, BertMlmGraph.LOGITS);
  }

  static String renameLast(GraphBuilder g, String name) {
    var gp = g.proto();
    gp.getNodeBuilder(gp.getNodeCount() - 1).setOutput(0, name);
    return name;
  }
}
