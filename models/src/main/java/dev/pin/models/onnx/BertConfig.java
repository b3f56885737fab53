package dev.pin.models.onnx;

import java.io.IOException;
import java.util.function.Predicate;

/**
 * BERT hyper-parameters.
 *
 * @param vocabSize rows of the word-embedding table
 * @param hiddenSize model width
 * @param numLayers encoder layers
 * @param numHeads attention heads; {@code hiddenSize} must be a multiple
 * @param intermediateSize width of the feed-forward layer
 * @param maxPositions rows of the position-embedding table (longest input)
 * @param typeVocabSize rows of the token-type table
 * @param layerNormEps LayerNorm epsilon (1e-12 in Google's BERT)
 */
public record BertConfig(
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int intermediateSize,
    int maxPositions,
    int typeVocabSize,
    float layerNormEps) {

  /** Validates the divisibility constraint of multi-head attention. */
  public BertConfig {
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hiddenSize + " is not a multiple of " + numHeads + " heads");
    }
  }

  /** Head dimension. */
  public int headSize() {
    return hiddenSize / numHeads;
  }

  /**
   * Reads the sizes from the weight shapes; the head count is not stored in checkpoints, so it is
   * derived from Google's convention of 64-wide heads (BERT-base: 768 → 12 heads).
   *
   * @param has whether a tensor name exists (used to count layers)
   */
  public static BertConfig infer(Weights w, Predicate<String> has) throws IOException {
    long[] word = w.get(BertNames.WORD_EMBEDDINGS).shape();
    long[] pos = w.get(BertNames.POSITION_EMBEDDINGS).shape();
    long[] type = w.get(BertNames.TOKEN_TYPE_EMBEDDINGS).shape();
    long[] inter = w.get(BertNames.kernel(BertNames.layer(0) + "/intermediate/dense")).shape();
    int layers = 0;
    while (has.test(BertNames.kernel(BertNames.layer(layers) + "/intermediate/dense"))) {
      layers++;
    }
    int hidden = (int) word[1];
    int heads = Math.max(1, hidden / 64);
    return new BertConfig((int) word[0], hidden, layers, heads, (int) inter[1], (int) pos[0],
        (int) type[0], 1e-12f);
  }
}
