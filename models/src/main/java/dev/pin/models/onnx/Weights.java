package dev.pin.models.onnx;

import java.io.IOException;

/**
 * Named float tensors, keyed by the TensorFlow BERT names of MODELS.md without the
 * {@code module/} prefix (e.g. {@code bert/embeddings/word_embeddings}); see {@link BertNames}.
 */
@FunctionalInterface
public interface Weights {
  /**
   * The tensor called {@code name}.
   *
   * @throws IOException when it cannot be read or fails its checksum
   * @throws IllegalArgumentException when there is no such tensor
   */
  FloatTensor get(String name) throws IOException;
}
