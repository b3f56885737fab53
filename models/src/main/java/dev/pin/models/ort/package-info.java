/**
 * Inference over the ONNX Runtime Java API: one shared {@code OrtSession} per model file and
 * configuration, the CPU or CUDA execution provider, and caller-shaped entry points such as
 * {@link dev.pin.models.ort.MaskedLm} (BERT and RoBERTa), {@link
 * dev.pin.models.ort.SequenceEncoder} (classifier logits, hidden states of a layer) and
 * {@link dev.pin.models.ort.CausalLm} (GPT-2 and OPT, pin's graphs or optimum exports,
 * with incremental decoding over the key/value cache through {@link
 * dev.pin.models.ort.DecodingState}); {@link dev.pin.models.ort.ClipEncoder}
 * embeds texts and preprocessed images with a {@code clip} model's two graphs.
 */
package dev.pin.models.ort;
