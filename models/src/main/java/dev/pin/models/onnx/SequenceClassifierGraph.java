package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.attr;
import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.List;

/**
 * Emits a BERT-family sequence classifier as an ONNX model: {@link EncoderGraph}'s encoder and a
 * classification head, output {@code logits [batch, labels]} (pre-softmax). Inputs are int64
 * {@code input_ids}, {@code attention_mask}, {@code token_type_ids}, all {@code [batch,
 * sequence]}.
 *
 * <p>Heads ({@link Head}): BERT's {@code BertForSequenceClassification} (pooler {@code tanh(dense
 * (h_[CLS]))}, then a linear layer), RoBERTa's {@code RobertaClassificationHead} (dense → tanh →
 * out_proj on {@code <s>}), and the mean-pooled linear head that {@code pin models
 * train-classifier} fits (mean of the final hidden states over the attention mask, then a linear
 * layer). Dropout is the identity at inference and is not emitted.
 */
public final class SequenceClassifierGraph {
  public static final String LOGITS = "logits";
  /** BERT's pooler dense layer (TensorFlow name, as in MODELS.md). */
  public static final String POOLER = "bert/pooler/dense";
  /** The final linear layer of the BERT and mean-pooled heads ([hidden, labels] kernel). */
  public static final String CLASSIFIER = "classifier";
  /** RoBERTa's head dense layer ([hidden, hidden]). */
  public static final String ROBERTA_DENSE = "classifier/dense";
  /** RoBERTa's head output projection ([hidden, labels]). */
  public static final String ROBERTA_OUT_PROJ = "classifier/out_proj";

  /** Which classification head sits on the encoder. */
  public enum Head {
    /** {@code tanh(h_0 · pooler + b)} · classifier + b (BertForSequenceClassification). */
    BERT_POOLER,
    /** {@code tanh(h_0 · dense + b)} · out_proj + b (RobertaForSequenceClassification). */
    ROBERTA,
    /** masked mean of the final hidden states · classifier + b. */
    MEAN_POOL_LINEAR
  }

  private SequenceClassifierGraph() {}

  /**
   * Builds the float32 classifier.
   *
   * @param positionPaddingIdx RoBERTa's padding_idx, or -1 for BERT's absolute positions
   * @param numLabels width of the logits
   */
  public static ModelProto build(BertConfig config, Weights weights, Head head, int numLabels,
      int positionPaddingIdx, String docString) throws IOException {
    if (numLabels < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 labels, got " + numLabels);
    }
    EncoderGraph e = new EncoderGraph("sequence_classifier", config, weights, Precision.FP32,
        positionPaddingIdx < 0 ? EncoderGraph.ABSOLUTE_POSITIONS : positionPaddingIdx);
    GraphBuilder g = e.g;
    int h = config.hiddenSize();
    e.declareTextInputs();
    List<String> states = e.encode(config.numLayers());
    String hidden = states.get(states.size() - 1);
    String s = "classifier";
    switch (head) {
      case BERT_POOLER -> {
        String first = firstToken(g, hidden, s);
        String pooled = g.node("Tanh", POOLER, new String[] {e.dense(first, POOLER, h, h)});
        e.dense(pooled, CLASSIFIER, h, numLabels);
      }
      case ROBERTA -> {
        String first = firstToken(g, hidden, s);
        String x = g.node("Tanh", ROBERTA_DENSE,
            new String[] {e.dense(first, ROBERTA_DENSE, h, h)});
        e.dense(x, ROBERTA_OUT_PROJ, h, numLabels);
      }
      case MEAN_POOL_LINEAR -> e.dense(meanPool(g, hidden, s), CLASSIFIER, h, numLabels);
      default -> throw new IllegalArgumentException("unknown head " + head);
    }
    e.renameLast(LOGITS);
    g.proto().addOutput(valueInfo(LOGITS, DataType.FLOAT, "batch", numLabels));
    return e.model(docString);
  }

  /** hidden[:, 0, :] — [CLS] for BERT, {@code <s>} for RoBERTa. */
  private static String firstToken(GraphBuilder g, String hidden, String scope) {
    return g.node("Gather", scope, new String[] {hidden, g.int64(new long[] {0})},
        attr("axis", 1L));
  }

  /** sum_t mask_t · h_t / sum_t mask_t over the sequence axis → [batch, hidden]. */
  static String meanPool(GraphBuilder g, String hidden, String scope) {
    String m = g.node("Unsqueeze", scope,
        new String[] {BertMlmGraph.ATTENTION_MASK, g.int64(new long[] {2}, 1)});
    m = g.node("Cast", scope, new String[] {m}, attr("to", (long) DataType.FLOAT.getNumber()));
    String axis = g.int64(new long[] {1}, 1);
    String sum = g.node("ReduceSum", scope,
        new String[] {g.node("Mul", scope, new String[] {hidden, m}), axis}, attr("keepdims", 0L));
    String count = g.node("ReduceSum", scope, new String[] {m, axis}, attr("keepdims", 0L));
    return g.node("Div", scope, new String[] {sum, count});
  }
}
