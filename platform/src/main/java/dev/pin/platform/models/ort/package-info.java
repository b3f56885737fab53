/**
 * Inference over the ONNX Runtime Java API: one shared {@code OrtSession} per model file and
 * configuration, the CPU or CUDA execution provider, and caller-shaped entry points such as
 * {@link dev.pin.platform.models.ort.MaskedLm} and {@link
 * dev.pin.platform.models.ort.SequenceEncoder} (classifier logits, hidden states of a layer);
 * {@link dev.pin.platform.models.ort.ClipEncoder} embeds texts and preprocessed images with a
 * {@code clip} model's two graphs.
 */
package dev.pin.platform.models.ort;
