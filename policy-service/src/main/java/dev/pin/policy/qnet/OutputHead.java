package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;

/**
 * The frozen LM's output head W_LM (§2) as a differentiable function hidden → logits over the whole
 * vocabulary. Its weights live in PyTorch NDArrays owned by the head, so gradients flow through it
 * into the MLP while the head itself never changes.
 */
public interface OutputHead extends AutoCloseable {

  /** d, the width of the hidden states it reads. */
  int hiddenSize();

  /** |V|, the width of the logits it writes. */
  int vocabSize();

  /**
   * W_LM applied to {@code x [..., d]}, giving {@code [..., V]}. New arrays are attached to x's
   * manager (the caller's scope), never to the head's.
   */
  NDArray logits(NDArray x);

  /**
   * One logit per row, {@code logits(x)[..., ids]}: {@code x [..., d]} and int64 {@code ids [...]}
   * to {@code [...]}, differentiable in x. The same numbers as gathering from {@link #logits}; a
   * head whose last layer is linear (W_LM = E) overrides it to dot x with the rows E[ids] only, so
   * a loss that reads Q(s_t, a_t) alone (PIN's v1, §4.3) back-propagates through d numbers per
   * state instead of |V|.
   */
  default NDArray logitsAt(NDArray x, NDArray ids) {
    return logits(x).gather(ids.expandDims(-1), -1).squeeze(-1);
  }

  /** Frees the head's weights. */
  @Override
  void close();
}
