/**
 * Builds ONNX graphs from weights with the ONNX protobuf classes of {@code tribuo-util-onnx}
 * (MODELS.md "Building ONNX graphs from Java"): the BERT encoder with its masked-LM head, in the
 * standard MatMul+Add / Softmax-attention / LayerNormalization / Erf-GELU form that ONNX Runtime's
 * optimiser fuses.
 */
package dev.pin.platform.models.onnx;
