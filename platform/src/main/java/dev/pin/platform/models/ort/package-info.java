/**
 * Inference over the ONNX Runtime Java API: one shared {@code OrtSession} per model file and
 * configuration, the CPU or CUDA execution provider, and caller-shaped entry points such as
 * {@link dev.pin.platform.models.ort.MaskedLm}; {@link dev.pin.platform.models.ort.ClipEncoder}
 * embeds texts and preprocessed images with a {@code clip} model's two graphs.
 */
package dev.pin.platform.models.ort;
