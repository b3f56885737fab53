/**
 * Writes model directories from weights: the ONNX graph ({@code onnx}), the tokenizer files and
 * the manifest, and for BERT masked LMs the int8 variant of the CPU's recipe. The importers
 * (model-import) and the tests' tiny random-weight models both go through these writers, so tests
 * load exactly what an import produces.
 */
package dev.pin.models.writer;
