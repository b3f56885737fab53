package dev.pin.models.onnx;

import static dev.pin.models.onnx.GraphBuilder.valueInfo;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.util.List;

/**
 * The encoder alone, cut after a chosen layer: output {@code hidden_states [batch, sequence,
 * hidden]} of layer {@code n} (HF's {@code hidden_states[n]}: 0 is the embeddings, the last is
 * {@code last_hidden_state}). BERTScore reads an intermediate layer (ALGORITHMS.md §6.2;
 * bert_score uses layer 9 of bert-base-uncased), and a graph that stops there costs only {@code
 * n} layers. Built from any BERT-family model's weights (see {@link OnnxWeights}), so existing
 * model directories need no re-import.
 */
public final class TextEncoderGraph {
  public static final String HIDDEN_STATES = "hidden_states";

  private TextEncoderGraph() {}

  /**
   * Builds the float32 encoder up to {@code layer}.
   *
   * @param layer 0 … numLayers
   * @param positionPaddingIdx RoBERTa's padding_idx, or -1 for BERT's absolute positions
   */
  public static ModelProto build(BertConfig config, Weights weights, int layer,
      int positionPaddingIdx, String docString) throws IOException {
    EncoderGraph e = new EncoderGraph("text_encoder", config, weights, Precision.FP32,
        positionPaddingIdx < 0 ? EncoderGraph.ABSOLUTE_POSITIONS : positionPaddingIdx);
    e.declareTextInputs();
    List<String> states = e.encode(layer);
    e.output(states.get(layer), HIDDEN_STATES);
    e.g.proto().addOutput(valueInfo(HIDDEN_STATES, DataType.FLOAT, "batch", "sequence",
        config.hiddenSize()));
    return e.model(docString);
  }
}
