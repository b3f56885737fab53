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

  /** Frees the head's weights. */
  @Override
  void close();
}
