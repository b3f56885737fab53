package dev.pin.reward.backend;

import java.util.List;

/** A frozen encoder returning contextual token embeddings, for BERTScore (§6.2). Thread-safe. */
public interface TokenEmbedder {

  /**
   * One text's token embeddings.
   *
   * @param vectors {@code [tokens][hidden]} embeddings, padding removed
   * @param special true for special tokens ([CLS], [SEP], &lt;s&gt;…), which BERTScore skips
   */
  record Embeddings(float[][] vectors, boolean[] special) {}

  /**
   * The model store name.
   *
   * @return the name
   */
  String name();

  /**
   * Token embeddings of texts at a layer.
   *
   * @param texts inputs
   * @param layer encoder layer (0 = final hidden states)
   * @return one entry per text
   */
  List<Embeddings> embed(List<String> texts, int layer);
}
