package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.attrs;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
 * bias (MODELS.md). The encoder is {@link EncoderGraph}'s, shared with the sequence classifiers
 * and the hidden-state encoder; {@link #buildRoberta} emits RoBERTa's masked LM from the same
 * code.
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

  private final EncoderGraph e;

  private BertMlmGraph(EncoderGraph e) {
    this.e = e;
  }

  /** Builds the float32 model proto; weight bytes are wrapped, not copied. */
  public static ModelProto build(BertConfig config, Weights weights, String docString)
      throws IOException {
    return build(config, weights, docString, Precision.FP32);
  }

  /** Builds the model proto in {@code precision} (see {@link Precision}). */
  public static ModelProto build(BertConfig config, Weights weights, String docString,
      Precision precision) throws IOException {
    return new BertMlmGraph(new EncoderGraph("bert_mlm", config, weights, precision,
        EncoderGraph.ABSOLUTE_POSITIONS)).emit(docString);
  }

  /** Builds the int8 model proto quantized by {@code recipe} (see {@link Int8Recipe}). */
  public static ModelProto build(BertConfig config, Weights weights, String docString,
      Int8Recipe recipe) throws IOException {
    return new BertMlmGraph(new EncoderGraph("bert_mlm", config, weights, recipe,
        EncoderGraph.ABSOLUTE_POSITIONS)).emit(docString);
  }

  /**
   * Builds RoBERTa's masked LM ({@code RobertaForMaskedLM}) in {@code precision}: the same
   * encoder and head with RoBERTa's position ids, which start at {@code paddingIdx + 1} and skip
   * padding (see {@link EncoderGraph}). The weights are read under {@link BertNames}: HF's
   * {@code lm_head.dense} / {@code lm_head.layer_norm} / {@code lm_head.bias} are the head's
   * dense, LayerNorm and output bias, the decoder is tied to the word embeddings.
   */
  public static ModelProto buildRoberta(BertConfig config, Weights weights, String docString,
      Precision precision, int paddingIdx) throws IOException {
    if (paddingIdx < 0) {
      throw new IllegalArgumentException("RoBERTa needs its padding_idx, got " + paddingIdx);
    }
    return new BertMlmGraph(new EncoderGraph("roberta_mlm", config, weights, precision,
        paddingIdx)).emit(docString);
  }

  /** Writes {@code model} to {@code file} (protobuf, single file). */
  public static void write(ModelProto model, Path file) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      model.writeTo(out);
    }
  }

  private ModelProto emit(String docString) throws IOException {
    BertConfig config = e.config;
    GraphBuilder g = e.g;
    int h = config.hiddenSize();
    var gp = g.proto();
    e.declareTextInputs();
    gp.addInput(valueInfo(POSITIONS, DataType.INT64, "batch", "positions"));

    List<String> states = e.encode(config.numLayers());
    String hidden = e.output(states.get(states.size() - 1), LAST_HIDDEN_STATE);

    String wordT = g.node("Transpose", "cls/predictions/decoder",
        new String[] {BertNames.WORD_EMBEDDINGS}, attrs("perm", 1, 0));
    // GatherND with batch_dims=1 picks hidden[b, positions[b, j], :] → [batch, k, hidden].
    String idx = g.node("Unsqueeze", "gather_positions",
        new String[] {POSITIONS, g.int64(new long[] {2}, 1)});
    String picked = g.node("GatherND", "gather_positions", new String[] {hidden, idx},
        attr("batch_dims", 1L));
    head(picked, wordT, "cls/predictions");
    e.renameLast(LOGITS);

    gp.addOutput(valueInfo(LAST_HIDDEN_STATE, DataType.FLOAT, "batch", "sequence", h));
    gp.addOutput(valueInfo(LOGITS, DataType.FLOAT, "batch", "positions", config.vocabSize()));
    return e.model(docString);
  }

  /** dense → GELU → LayerNorm → tied decoder + output bias. */
  private void head(String hidden, String wordT, String scope) throws IOException {
    int h = e.config.hiddenSize();
    String t = e.dense(hidden, BertNames.HEAD_DENSE, h, h);
    t = e.gelu(t, scope + "/transform");
    t = e.layerNorm(t, BertNames.HEAD_LN);
    String logits = e.g.node("MatMul", scope, new String[] {t, wordT});
    String outputBias = BertNames.OUTPUT_BIAS;
    if (!e.hasInitializer(outputBias)) {
      e.w(outputBias, e.config.vocabSize());
    }
    e.g.node("Add", scope, new String[] {logits, outputBias});
  }
}
