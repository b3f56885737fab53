package dev.pin.platform.models.onnx;

/**
 * Numeric precision of a BERT graph's encoder dense layers.
 *
 * <p>{@link #INT8} is ONNX Runtime's dynamic quantization pattern, emitted directly: weights are
 * int8 with one symmetric scale per output column, activations are quantized to uint8 per call
 * ({@code DynamicQuantizeLinear → MatMulInteger → Cast → Mul}), which ORT fuses into
 * {@code DynamicQuantizeMatMul} and runs on VNNI/AMX int8 units. Attention score products, the
 * embeddings, LayerNorms and the MLM head stay float32.
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
