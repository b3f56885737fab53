/**
 * Builds ONNX graphs from weights with the ONNX protobuf classes of {@code tribuo-util-onnx}
 * (MODELS.md "Building ONNX graphs from Java"): the BERT encoder with its masked-LM head
 * ({@link dev.pin.platform.models.onnx.BertMlmGraph}, float32 or int8) and GPT-2 with its tied LM
 * head ({@link dev.pin.platform.models.onnx.Gpt2Graph}); the BERT-family encoder itself
 * ({@code EncoderGraph}, BERT or RoBERTa position ids) is shared with RoBERTa's masked LM, the
 * sequence classifiers ({@link dev.pin.platform.models.onnx.SequenceClassifierGraph}) and the
 * layer-cut encoder of BERTScore ({@link dev.pin.platform.models.onnx.TextEncoderGraph}), in the
 * standard MatMul+Add /
 * Softmax-attention / LayerNormalization / GELU form. ONNX Runtime 1.21's online optimiser fuses
 * the GELUs (BiasGelu), the scaled QK products (FusedMatMul) and, in the int8 graph,
 * DynamicQuantizeMatMul; its Attention fusion only matches pre-opset-13 graphs, so attention runs
 * unfused.
 *
 * <p>{@link dev.pin.platform.models.onnx.ClipGraph} emits a HuggingFace CLIP's text and vision
 * towers with their projections as two graphs (ALGORITHMS.md §6.3), in the same standard forms.
 */
package dev.pin.platform.models.onnx;
