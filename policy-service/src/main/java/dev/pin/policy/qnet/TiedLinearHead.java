package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A causal LM's head: logits = x·Eᵀ (+ b), with E the token embeddings it is tied to (GPT-2, OPT
 * and {@link TinyBackbone}).
 */
public final class TiedLinearHead implements OutputHead {

  private final NDManager manager;
  private final NDArray embeddingsT;
  private final NDArray bias;
  private final int vocabSize;
  private final int hiddenSize;

  /**
   * Copies the weights into a PyTorch manager of its own under {@code parent}.
   *
   * @param embeddings E, row-major [vocabSize][hiddenSize]
   * @param bias output bias [vocabSize], or null for none
   */
  public TiedLinearHead(NDManager parent, float[] embeddings, float[] bias, int vocabSize,
      int hiddenSize) {
    if (embeddings.length != vocabSize * hiddenSize) {
      throw new IllegalArgumentException("embeddings must hold vocabSize·hiddenSize floats");
    }
    this.manager = parent.newSubManager();
    this.vocabSize = vocabSize;
    this.hiddenSize = hiddenSize;
    try (NDArray e = manager.create(embeddings, new Shape(vocabSize, hiddenSize))) {
      // Transposed once, contiguous, so every forward is a plain x·W.
      this.embeddingsT = e.transpose().duplicate();
    }
    this.bias = bias == null ? null : manager.create(bias);
  }

  @Override
  public int hiddenSize() {
    return hiddenSize;
  }

  @Override
  public int vocabSize() {
    return vocabSize;
  }

  @Override
  public NDArray logits(NDArray x) {
    NDArray logits = x.matMul(embeddingsT);
    return bias == null ? logits : logits.add(bias);
  }

  @Override
  public void close() {
    manager.close();
  }
}
