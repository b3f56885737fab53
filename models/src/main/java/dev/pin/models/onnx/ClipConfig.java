package dev.pin.models.onnx;

/**
 * HuggingFace {@code CLIPModel} hyper-parameters ({@code config.json}: {@code text_config},
 * {@code vision_config}, {@code projection_dim}).
 *
 * @param text the text tower
 * @param vision the vision tower
 * @param projectionDim width of {@code text_embeds} and {@code image_embeds} ({@code
 *     projection_dim})
 */
public record ClipConfig(Text text, Vision vision, int projectionDim) {

  /** HF's activation names the graphs implement. */
  public static final String QUICK_GELU = "quick_gelu";
  public static final String GELU = "gelu";

  /** The eos id of configs written before transformers PR #24773, which pool at argmax(ids). */
  public static final int LEGACY_EOS_TOKEN_ID = 2;

  /** Validates the towers' activations and the projection width. */
  public ClipConfig {
    if (projectionDim < 1) {
      throw new IllegalArgumentException("projection_dim must be >= 1, got " + projectionDim);
    }
  }

  /**
   * The text transformer ({@code CLIPTextConfig}).
   *
   * @param vocabSize rows of {@code token_embedding} ({@code vocab_size})
   * @param hiddenSize width ({@code hidden_size})
   * @param intermediateSize MLP width ({@code intermediate_size})
   * @param numLayers encoder layers ({@code num_hidden_layers})
   * @param numHeads attention heads ({@code num_attention_heads})
   * @param maxPositions rows of {@code position_embedding}, the context length 77 ({@code
   *     max_position_embeddings})
   * @param hiddenAct {@code quick_gelu} or {@code gelu} ({@code hidden_act})
   * @param layerNormEps LayerNorm epsilon ({@code layer_norm_eps})
   * @param eosTokenId {@code eos_token_id}: 2 in configs older than transformers PR #24773, which
   *     pool at the largest token id instead (see {@link #legacyArgmaxPooling()})
   */
  public record Text(int vocabSize, int hiddenSize, int intermediateSize, int numLayers,
      int numHeads, int maxPositions, String hiddenAct, float layerNormEps, int eosTokenId) {

    /** Validates head divisibility and the activation. */
    public Text {
      checkHeads(hiddenSize, numHeads);
      checkAct(hiddenAct);
    }

    /** Head dimension. */
    public int headSize() {
      return hiddenSize / numHeads;
    }

    /**
     * Whether the pooled output is read at {@code argmax(input_ids)} (the end-of-text token has
     * the largest id in OpenAI's vocabulary) rather than at the first {@code eos_token_id}: HF's
     * {@code CLIPTextTransformer.forward} does the former exactly when {@code eos_token_id == 2}.
     */
    public boolean legacyArgmaxPooling() {
      return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }
  }

  /**
   * The vision transformer ({@code CLIPVisionConfig}).
   *
   * @param hiddenSize width ({@code hidden_size})
   * @param intermediateSize MLP width ({@code intermediate_size})
   * @param numLayers encoder layers ({@code num_hidden_layers})
   * @param numHeads attention heads ({@code num_attention_heads})
   * @param imageSize input resolution N ({@code image_size})
   * @param patchSize patch side ({@code patch_size}); N must be a multiple of it
   * @param numChannels input channels, 3 ({@code num_channels})
   * @param hiddenAct {@code quick_gelu} or {@code gelu} ({@code hidden_act})
   * @param layerNormEps LayerNorm epsilon ({@code layer_norm_eps})
   */
  public record Vision(int hiddenSize, int intermediateSize, int numLayers, int numHeads,
      int imageSize, int patchSize, int numChannels, String hiddenAct, float layerNormEps) {

    /** Validates heads, patches and the activation. */
    public Vision {
      checkHeads(hiddenSize, numHeads);
      checkAct(hiddenAct);
      if (patchSize < 1 || imageSize % patchSize != 0) {
        throw new IllegalArgumentException("image_size " + imageSize
            + " is not a multiple of patch_size " + patchSize);
      }
    }

    /** Head dimension. */
    public int headSize() {
      return hiddenSize / numHeads;
    }

    /** Patches per side. */
    public int gridSize() {
      return imageSize / patchSize;
    }

    /** Rows of {@code position_embedding}: one per patch plus the class token. */
    public int numPositions() {
      return gridSize() * gridSize() + 1;
    }
  }

  private static void checkHeads(int hidden, int heads) {
    if (heads < 1 || hidden % heads != 0) {
      throw new IllegalArgumentException(
          "hidden size " + hidden + " is not a multiple of " + heads + " heads");
    }
  }

  private static void checkAct(String act) {
    if (!QUICK_GELU.equals(act) && !GELU.equals(act)) {
      throw new IllegalArgumentException("hidden_act '" + act + "' is not supported ("
          + QUICK_GELU + " or " + GELU + ")");
    }
  }
}
