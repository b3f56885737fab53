package dev.pin.reward.backend;

import java.util.List;
import java.util.Optional;

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

  /**
   * BERTScore's baseline for rescaling at a layer, {@code {P, R, F}} (bert_score's rescale_baseline
   * files; RLPrompt's style reward uses roberta-large with rescaling, which is why Content clips
   * negative F1 at 0). Empty means no rescaling.
   *
   * @param layer encoder layer (0 = final hidden states)
   * @return the baseline, or empty
   */
  default Optional<float[]> bertScoreBaseline(int layer) {
    return Optional.empty();
  }
}
