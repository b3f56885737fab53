package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * BERT's masked-LM head (§2, masked policy LM): dense → GELU → LayerNorm → decoder tied to the
 * token embeddings + output bias. The lead's BERT-over-ONNX backbone builds one from the model's
 * initialisers ({@code cls.predictions.transform.*}, word embeddings, {@code
 * cls.predictions.bias}).
 */
public final class MlmHead implements OutputHead {

  private final NDManager manager;
  private final NDArray denseWeightT;
  private final NDArray denseBias;
  private final NDArray lnGamma;
  private final NDArray lnBeta;
  private final float lnEpsilon;
  private final NDArray embeddingsT;
  private final NDArray decoderBias;
  private final int vocabSize;
  private final int hiddenSize;

  /**
   * Copies the weights into a PyTorch manager of its own under {@code parent}.
   *
   * @param denseWeight transform dense weight, row-major [out = d][in = d] as torch.nn.Linear
   * stores
   * @param denseBias [d]
   * @param lnGamma LayerNorm scale [d]
   * @param lnBeta LayerNorm shift [d]
   * @param lnEpsilon LayerNorm ε (1e-12 for BERT)
   * @param embeddings tied decoder = word embeddings, row-major [V][d]
   * @param decoderBias output bias [V]
   */
  public MlmHead(NDManager parent, float[] denseWeight, float[] denseBias, float[] lnGamma,
      float[] lnBeta, float lnEpsilon, float[] embeddings, float[] decoderBias, int vocabSize,
      int hiddenSize) {
    this.manager = parent.newSubManager();
    this.vocabSize = vocabSize;
    this.hiddenSize = hiddenSize;
    try (NDArray w = manager.create(denseWeight, new Shape(hiddenSize, hiddenSize));
        NDArray e = manager.create(embeddings, new Shape(vocabSize, hiddenSize))) {
      this.denseWeightT = w.transpose().duplicate();
      this.embeddingsT = e.transpose().duplicate();
    }
    this.denseBias = manager.create(denseBias);
    this.lnGamma = manager.create(lnGamma);
    this.lnBeta = manager.create(lnBeta);
    this.lnEpsilon = lnEpsilon;
    this.decoderBias = manager.create(decoderBias);
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
    return transform(x).matMul(embeddingsT).add(decoderBias);
  }

  @Override
  public NDArray logitsAt(NDArray x, NDArray ids) {
    return TiedLinearHead.rowDot(transform(x), embeddingsT, decoderBias, ids);
  }

  /** LayerNorm(GELU(dense(x))), the head's transform before the tied decoder. */
  private NDArray transform(NDArray x) {
    NDArray y = Activation.gelu(x.matMul(denseWeightT).add(denseBias));
    NDArray mean = y.mean(new int[] {-1}, true);
    NDArray centred = y.sub(mean);
    NDArray variance = centred.square().mean(new int[] {-1}, true);
    return centred.div(variance.add(lnEpsilon).sqrt()).mul(lnGamma).add(lnBeta);
  }

  @Override
  public void close() {
    manager.close();
  }
}
