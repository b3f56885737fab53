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
  public NDArray logitsAt(NDArray x, NDArray ids) {
    return rowDot(x, embeddingsT, bias, ids);
  }

  /**
   * {@code Σ_j x[..., j]·E[ids, j] (+ b[ids])}: the logits of a tied linear head at the given ids
   * only, from {@code embeddingsT} = Eᵀ [d, V].
   */
  static NDArray rowDot(NDArray x, NDArray embeddingsT, NDArray bias, NDArray ids) {
    long d = embeddingsT.getShape().get(0);
    NDArray flat = ids.reshape(-1, 1);
    NDArray index = flat.broadcast(new Shape(flat.getShape().get(0), d));
    // E[ids] as rows [N, d]: gather along the vocabulary axis of Eᵀ's transposed view.
    NDArray rows = embeddingsT.transpose().gather(index, 0);
    long[] shape = x.getShape().getShape();
    NDArray out = x.reshape(-1, d).mul(rows).sum(new int[] {-1});
    if (bias != null) {
      out = out.add(bias.gather(ids.reshape(-1), 0));
    }
    long[] lead = java.util.Arrays.copyOf(shape, shape.length - 1);
    return out.reshape(new Shape(lead));
  }

  @Override
  public void close() {
    manager.close();
  }
}
