/**
 * Builds ONNX graphs from weights with the ONNX protobuf classes of {@code tribuo-util-onnx}
 * (MODELS.md "Building ONNX graphs from Java"): the BERT encoder with its masked-LM head
 * ({@link dev.pin.models.onnx.BertMlmGraph}, float32 or int8) and GPT-2 with its tied LM
 * head ({@link dev.pin.models.onnx.Gpt2Graph}); the BERT-family encoder itself
 * ({@code EncoderGraph}, BERT or RoBERTa position ids) is shared with RoBERTa's masked LM, the
 * sequence classifiers ({@link dev.pin.models.onnx.SequenceClassifierGraph}) and the
 * layer-cut encoder of BERTScore ({@link dev.pin.models.onnx.TextEncoderGraph}), in the
 * standard MatMul+Add /
 * Softmax-attention / LayerNormalization / GELU form. ONNX Runtime 1.21's online optimiser fuses
 * the GELUs (BiasGelu), the scaled QK products (FusedMatMul) and, in the int8 graph,
 * DynamicQuantizeMatMul; its Attention fusion only matches pre-opset-13 graphs, so attention runs
 * unfused.
 *
 * <p>Causal LMs: {@link dev.pin.models.onnx.Gpt2Graph} and {@link
 * dev.pin.models.onnx.OptGraph} (OPT in both layer-norm layouts, opt-125m's pre-LN and
 * opt-350m's post-LN with {@code project_in}/{@code project_out}) share {@link
 * dev.pin.models.onnx.CausalLayout}: a key/value cache ({@code
 * past_key_values.N.key|value} in, {@code present.N.key|value} out, zero-length past on the first
 * step), position ids from {@code cumsum(attention_mask)} so left and right padding both work, and
 * either pin's {@code positions} input or optimum's interface.
 *
 * <p>{@link dev.pin.models.onnx.ClipGraph} emits a HuggingFace CLIP's text and vision
 * towers with their projections as two graphs (ALGORITHMS.md §6.3), in the same standard forms.
 */
package dev.pin.models.onnx;
