/**
 * Models as directories: an ONNX graph, its tokenizer and a manifest (ARCHITECTURE.md "Models").
 *
 * <p>Subpackages: {@code store} lays models out on disk and finds them by name, {@code tokenizer}
 * holds BERT's WordPiece (through DJL's HuggingFace tokenizers), GPT-2's byte-level BPE and CLIP's,
 * {@code onnx} builds the BERT, GPT-2, OPT and CLIP graphs from weights, {@code writer} writes a
 * model directory (graph, tokenizer files, manifest, int8 variant) from weights, {@code ort} runs
 * graphs on ONNX Runtime ({@code MaskedLm}, {@code CausalLm}, {@code ClipEncoder}) and {@code
 * hardware} reads the CPU's features to pick a precision. This package holds the caller-facing
 * {@link dev.pin.models.FillMask}. Importers of outside formats are in the model-import module.
 */
package dev.pin.models;
