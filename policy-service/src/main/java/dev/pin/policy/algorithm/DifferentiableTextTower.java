package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * A frozen CLIP text tower that PEZ's image inversion (ALGORITHMS.md §7.1) differentiates
 * through: input embeddings in, the text embedding out, under DJL's autograd. Implemented on
 * PyTorch by {@code dev.pin.policy.torch.TorchClipText}, from the same weights as the CLIP
 * model's ONNX text graph.
 */
public interface DifferentiableTextTower {

  /** The token-embedding matrix E {@code [vocab, hidden]}, owned by the model (do not close). */
  NDArray tokenEmbeddings();

  /** Rows of E for int64 {@code tokenIds} {@code [...]} → {@code [..., hidden]}. */
  NDArray embed(NDArray tokenIds);

  /**
   * {@code text_embeds} {@code [batch, projection]}, unnormalised: the final LayerNorm's hidden
   * state at {@code eotPositions} through the text projection.
   *
   * @param inputEmbeddings {@code [batch, sequence, hidden]} token embeddings (or vectors in their
   *     place); position embeddings are added by the model
   * @param attentionMask {@code [batch, sequence]}, 1 for tokens, 0 for right padding
   * @param eotPositions {@code [batch]} int64, the end-of-text position of each row (the one the
   *     tower pools at)
   */
  NDArray textEmbeds(NDArray inputEmbeddings, NDArray attentionMask, NDArray eotPositions);

  /** Longest input in tokens, specials included (CLIP's 77). */
  int maxInputTokens();
}
