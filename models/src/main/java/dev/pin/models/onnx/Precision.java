package dev.pin.models.onnx;

/**
 * Numeric precision of a BERT graph's encoder dense layers.
 *
 * <p>{@link #INT8} runs the layers' dense products on int8 weights with one symmetric scale per
 * output column and activations quantized to uint8 per call ({@code MatMulInteger}, on VNNI/AMX
 * int8 units where the CPU has them); how activations are scaled and what stays float32 is the
 * {@link Int8Recipe} the variant was built by (recorded in the model's manifest). Attention score
 * products, the embeddings, LayerNorms and the MLM head stay float32.
 */
public enum Precision {
  FP32("model", "model.onnx"),
  INT8("model-int8", "model-int8.onnx");

  private final String fileRole;
  private final String fileName;

  Precision(String fileRole, String fileName) {
    this.fileRole = fileRole;
    this.fileName = fileName;
  }

  /** Key of the model file in the manifest's {@code files}. */
  public String fileRole() {
    return fileRole;
  }

  /** Default file name in a model directory. */
  public String fileName() {
    return fileName;
  }
}
