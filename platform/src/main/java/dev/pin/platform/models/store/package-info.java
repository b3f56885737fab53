/**
 * The on-disk model store (ARCHITECTURE.md "Models"): one directory per model under
 * {@code $PIN_MODELS_HOME} (default {@code ~/.cache/pin/models}) holding {@code model.onnx}, the
 * tokenizer files and {@code manifest.json}.
 */
package dev.pin.platform.models.store;
