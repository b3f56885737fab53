package dev.pin.models.onnx;

/**
 * The variable names of Google's BERT checkpoints (MODELS.md), used both to read weights and as
 * the ONNX initializer names, so a graph's weights can be traced back to the checkpoint.
 */
public final class BertNames {
  public static final String WORD_EMBEDDINGS = "bert/embeddings/word_embeddings";
  public static final String POSITION_EMBEDDINGS = "bert/embeddings/position_embeddings";
  public static final String TOKEN_TYPE_EMBEDDINGS = "bert/embeddings/token_type_embeddings";
  public static final String EMBEDDINGS_LN = "bert/embeddings/LayerNorm";
  public static final String HEAD_DENSE = "cls/predictions/transform/dense";
  public static final String HEAD_LN = "cls/predictions/transform/LayerNorm";
  public static final String OUTPUT_BIAS = "cls/predictions/output_bias";

  private BertNames() {}

  /** Prefix of encoder layer {@code i}, e.g. {@code bert/encoder/layer_3}. */
  public static String layer(int i) {
    return "bert/encoder/layer_" + i;
  }

  /** {@code <dense>/kernel} ([in, out]). */
  public static String kernel(String dense) {
    return dense + "/kernel";
  }

  /** {@code <dense>/bias}. */
  public static String bias(String dense) {
    return dense + "/bias";
  }

  /** {@code <layerNorm>/gamma} (scale). */
  public static String gamma(String layerNorm) {
    return layerNorm + "/gamma";
  }

  /** {@code <layerNorm>/beta} (shift). */
  public static String beta(String layerNorm) {
    return layerNorm + "/beta";
  }
}
