package dev.pin.models.onnx;

/**
 * GPT-2 hyper-parameters (HF {@code config.json} names in brackets).
 *
 * @param vocabSize rows of {@code wte} ({@code vocab_size})
 * @param hiddenSize model width ({@code n_embd})
 * @param numLayers blocks ({@code n_layer})
 * @param numHeads attention heads ({@code n_head})
 * @param maxPositions rows of {@code wpe} ({@code n_positions})
 * @param layerNormEps LayerNorm epsilon ({@code layer_norm_epsilon}, 1e-5)
 */
public record Gpt2Config(int vocabSize, int hiddenSize, int numLayers, int numHeads,
    int maxPositions, float layerNormEps) {

  /** Validates the divisibility constraint of multi-head attention. */
  public Gpt2Config {
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hiddenSize + " is not a multiple of " + numHeads + " heads");
    }
  }

  /** Head dimension. */
  public int headSize() {
    return hiddenSize / numHeads;
  }
}
