package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The Q-network of §2: {@code Q(s_t,·) = W_LM · MLP_θ(h_t)} with {@code MLP_θ = Linear(d → H) →
 * ReLU → Linear(H → d)} (no residual), the only trainable part, and its target copy θ̄ updated by
 * Polyak averaging {@code θ̄ ← (1−ρ)·θ̄ + ρ·θ}. Weights start Xavier-uniform with a tiny gain and
 * biases at a tiny negative constant, so the first Q is ≈ 0 and the first policy nearly uniform.
 *
 * <p>The persistent parameters never require gradients: a training step differentiates fresh copies
 * ({@link #trainableCopies()}) in its own scope, so gradients never accumulate across steps.
 */
public final class QNetwork implements AutoCloseable {

  private final NDManager manager;
  private final OutputHead head;
  private final int hiddenSize;
  private final int mlpHiddenSize;
  private final List<NDArray> theta;
  private final List<NDArray> thetaTarget;

  /**
   * Initialises θ and sets θ̄ = θ.
   *
   * @param parent PyTorch manager the parameters are created under
   * @param head the frozen W_LM
   * @param mlpHiddenSize H (2048)
   * @param initGain Xavier-uniform gain (1e-4)
   * @param initBias every bias (−1e-4)
   * @param seed initialisation seed
   */
  public QNetwork(NDManager parent, OutputHead head, int mlpHiddenSize, double initGain,
      double initBias, long seed) {
    this.manager = parent.newSubManager();
    this.head = head;
    this.hiddenSize = head.hiddenSize();
    this.mlpHiddenSize = mlpHiddenSize;
    SplittableRandom random = new SplittableRandom(seed);
    int d = hiddenSize;
    theta = List.of(
        xavier(random, d, mlpHiddenSize, initGain),
        constant(mlpHiddenSize, initBias),
        xavier(random, mlpHiddenSize, d, initGain),
        constant(d, initBias));
    thetaTarget = new ArrayList<>();
    for (NDArray p : theta) {
      thetaTarget.add(p.duplicate());
    }
  }

  /** d. */
  public int hiddenSize() {
    return hiddenSize;
  }

  /** The frozen head W_LM. */
  public OutputHead head() {
    return head;
  }

  /** Q_θ(h) = W_LM·MLP_θ(h): {@code h [..., d]} → {@code [..., V]}, in h's manager. */
  public NDArray q(NDArray h) {
    return q(h, theta);
  }

  /** Q_θ̄(h) with the target parameters. */
  public NDArray qTarget(NDArray h) {
    return q(h, thetaTarget);
  }

  /** W_LM·MLP(h) with explicit parameters (W1, b1, W2, b2), e.g. gradient-tracking copies. */
  public NDArray q(NDArray h, List<NDArray> params) {
    return head.logits(mlp(h, params));
  }

  /** MLP(h) = ReLU(h·W1 + b1)·W2 + b2. */
  public static NDArray mlp(NDArray h, List<NDArray> params) {
    NDArray hidden = Activation.relu(h.matMul(params.get(0)).add(params.get(1)));
    return hidden.matMul(params.get(2)).add(params.get(3));
  }

  /**
   * Copies of θ that require gradients, registered in the caller's NDScope (or to be closed by the
   * caller).
   */
  public List<NDArray> trainableCopies() {
    List<NDArray> copies = new ArrayList<>(theta.size());
    for (NDArray p : theta) {
      NDArray c = p.duplicate();
      c.setRequiresGradient(true);
      copies.add(c);
    }
    return copies;
  }

  /**
   * The live parameters θ (W1 [d,H], b1 [H], W2 [H,d], b2 [d]); the optimiser updates them in
   * place.
   */
  public List<NDArray> parameters() {
    return theta;
  }

  /** θ̄ ← (1−ρ)·θ̄ + ρ·θ (§2). Temporaries go to the caller's NDScope. */
  public void polyak(double rho) {
    for (int i = 0; i < theta.size(); i++) {
      try (NDArray scaled = theta.get(i).mul(rho)) {
        thetaTarget.get(i).muli(1 - rho).addi(scaled);
      }
    }
  }

  /** Number of trainable parameters: 2·d·H + H + d. */
  public long trainableParameters() {
    return 2L * hiddenSize * mlpHiddenSize + mlpHiddenSize + hiddenSize;
  }

  /** Writes θ then θ̄. */
  public void write(DataOutputStream out) throws IOException {
    for (NDArray p : theta) {
      NdIo.write(out, p);
    }
    for (NDArray p : thetaTarget) {
      NdIo.write(out, p);
    }
  }

  /** Reads θ then θ̄ in place. */
  public void read(DataInputStream in) throws IOException {
    for (NDArray p : theta) {
      NdIo.readInto(in, p);
    }
    for (NDArray p : thetaTarget) {
      NdIo.readInto(in, p);
    }
  }

  @Override
  public void close() {
    manager.close();
  }

  /** Xavier-uniform: U(−b, b), b = gain·√(6/(fan_in + fan_out)); stored [fan_in, fan_out]. */
  private NDArray xavier(SplittableRandom random, int fanIn, int fanOut, double gain) {
    double bound = gain * Math.sqrt(6.0 / (fanIn + fanOut));
    float[] w = new float[fanIn * fanOut];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) ((2 * random.nextDouble() - 1) * bound);
    }
    return manager.create(w, new Shape(fanIn, fanOut));
  }

  private NDArray constant(int n, double value) {
    float[] b = new float[n];
    java.util.Arrays.fill(b, (float) value);
    return manager.create(b);
  }
}
