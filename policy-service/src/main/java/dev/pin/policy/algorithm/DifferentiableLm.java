package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;

/**
 * A frozen masked LM that PEZ (ALGORITHMS.md §7.1) differentiates through: input embeddings in,
 * logits at chosen positions out, under DJL's autograd. Implemented on PyTorch by {@code
 * dev.pin.policy.torch.TorchMaskedLm}, from the same weights as the task model's ONNX graph.
 */
public interface DifferentiableLm {

  /** The word-embedding matrix E {@code [vocab, hidden]}, owned by the model (do not close). */
  NDArray wordEmbeddings();

  /** Rows of E for int64 {@code tokenIds} {@code [...]} → {@code [..., hidden]}. */
  NDArray embed(NDArray tokenIds);

  /**
   * MLM logits {@code [batch, k, n]} at {@code positions} {@code [batch, k]} for the vocabulary
   * entries {@code tokenIds} {@code [n]}.
   *
   * @param inputEmbeddings {@code [batch, sequence, hidden]} word embeddings (or vectors in their
   *     place); position and token-type embeddings are added by the model
   * @param attentionMask {@code [batch, sequence]}, 1 for tokens, 0 for right padding
   */
  NDArray tokenLogitsAt(NDArray inputEmbeddings, NDArray attentionMask, NDArray positions,
      NDArray tokenIds);

  /**
   * MLM logits {@code [batch, k, vocab]} over the whole vocabulary at {@code positions}
   * {@code [batch, k]}; arguments as {@link #tokenLogitsAt}.
   */
  NDArray vocabularyLogitsAt(NDArray inputEmbeddings, NDArray attentionMask, NDArray positions);

  /** Longest input in tokens. */
  int maxInputTokens();
}
