package dev.pin.models.onnx;

/**
 * OPT hyper-parameters (HF {@code OPTConfig} names in brackets).
 *
 * @param vocabSize rows of {@code embed_tokens} ({@code vocab_size})
 * @param hiddenSize decoder width ({@code hidden_size})
 * @param numLayers decoder layers ({@code num_hidden_layers})
 * @param numHeads attention heads ({@code num_attention_heads})
 * @param ffnDim feed-forward width ({@code ffn_dim})
 * @param maxPositions longest input ({@code max_position_embeddings}); the position table has
 *     two more rows (OPT's offset of 2)
 * @param wordEmbedProjDim width of the token embeddings and the LM head ({@code
 *     word_embed_proj_dim}); when it differs from {@code hiddenSize} (opt-350m: 512 vs 1024) the
 *     decoder has {@code project_in} and {@code project_out}
 * @param doLayerNormBefore pre-LN layers ({@code do_layer_norm_before}; false for opt-350m)
 * @param finalLayerNorm whether the decoder ends with {@code final_layer_norm}
 *     ({@code do_layer_norm_before and not _remove_final_layer_norm})
 * @param layerNormEps LayerNorm epsilon (1e-5 in PyTorch's default, which OPT uses)
 */
public record OptConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int ffnDim,
    int maxPositions, int wordEmbedProjDim, boolean doLayerNormBefore, boolean finalLayerNorm,
    float layerNormEps) {

  /** OPT's position table is indexed by position + 2 (HF {@code OPTLearnedPositionalEmbedding}). */
  public static final int POSITION_OFFSET = 2;

  /** Validates the divisibility constraint of multi-head attention. */
  public OptConfig {
    if (hiddenSize % numHeads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hiddenSize + " is not a multiple of " + numHeads + " heads");
    }
  }

  /** Head dimension. */
  public int headSize() {
    return hiddenSize / numHeads;
  }

  /** Whether token embeddings are projected in and out of the decoder width. */
  public boolean projects() {
    return wordEmbedProjDim != hiddenSize;
  }
}
