package dev.pin.policy.qnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma &amp; Ba 2015) with global gradient-norm clipping, as torch.optim.Adam after
 * torch.nn.utils.clip_grad_norm_ (§3: lr 5e-5, β 0.9/0.999, ε 1e-8, clip 5.0), and with a
 * decoupled weight decay λ > 0 AdamW (Loshchilov &amp; Hutter 2019) as torch.optim.AdamW: each
 * step first shrinks the parameters, p ← p·(1 − lr·λ), then takes the Adam step (PEZ and soft
 * prompts, ALGORITHMS.md §7.1). Written out rather than taken from DJL so its state (moments and
 * step count) goes into checkpoints.
 */
public final class Adam implements AutoCloseable {

  private final NDManager manager;
  private final double learningRate;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final double maxGradNorm;
  private final double weightDecay;
  private final List<NDArray> m = new ArrayList<>();
  private final List<NDArray> v = new ArrayList<>();
  private long steps;

  /** Adam (no weight decay) with zero moments shaped like {@code params}. */
  public Adam(NDManager parent, List<NDArray> params, double learningRate, double beta1,
      double beta2, double epsilon, double maxGradNorm) {
    this(parent, params, learningRate, beta1, beta2, epsilon, maxGradNorm, 0);
  }

  /**
   * AdamW with zero moments shaped like {@code params}.
   *
   * @param maxGradNorm clip the global gradient norm to this; 0 or less: no clipping
   * @param weightDecay decoupled weight decay λ ≥ 0 (0: Adam)
   */
  public Adam(NDManager parent, List<NDArray> params, double learningRate, double beta1,
      double beta2, double epsilon, double maxGradNorm, double weightDecay) {
    if (!(weightDecay >= 0) || !(learningRate * weightDecay < 1)) {
      throw new IllegalArgumentException("weight decay must be 0 or more with lr·λ below 1, got "
          + weightDecay);
    }
    this.weightDecay = weightDecay;
    this.manager = parent.newSubManager();
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
    this.maxGradNorm = maxGradNorm;
    for (NDArray p : params) {
      m.add(manager.zeros(p.getShape(), p.getDataType()));
      v.add(manager.zeros(p.getShape(), p.getDataType()));
    }
  }

  /**
   * One update of {@code params} in place from {@code grads}; temporaries go to the caller's
   * NDScope.
   *
   * @return the global gradient L2 norm before clipping
   */
  public double step(List<NDArray> params, List<NDArray> grads) {
    double squared = 0;
    for (NDArray g : grads) {
      squared += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
          .getDouble();
    }
    double gradNorm = Math.sqrt(squared);
    // clip_grad_norm_: g ← g·max_norm/(‖g‖ + 1e-6) when that factor is below 1.
    double clip = maxGradNorm > 0 ? Math.min(1.0, maxGradNorm / (gradNorm + 1e-6)) : 1.0;
    steps++;
    double biasCorrection1 = 1 - Math.pow(beta1, steps);
    double biasCorrection2 = 1 - Math.pow(beta2, steps);
    for (int i = 0; i < params.size(); i++) {
      if (weightDecay > 0) {
        params.get(i).muli(1 - learningRate * weightDecay); // AdamW: decay before the step
      }
      NDArray g = clip < 1.0 ? grads.get(i).mul(clip) : grads.get(i);
      m.get(i).muli(beta1).addi(g.mul(1 - beta1));
      v.get(i).muli(beta2).addi(g.square().mul(1 - beta2));
      // p ← p − lr/bc1 · m / (√v/√bc2 + ε)
      NDArray denominator = v.get(i).sqrt().div(Math.sqrt(biasCorrection2)).add(epsilon);
      params.get(i).subi(m.get(i).div(denominator).mul(learningRate / biasCorrection1));
    }
    return gradNorm;
  }

  /** Updates taken so far. */
  public long steps() {
    return steps;
  }

  /** A copy of parameter {@code i}'s first moment m, flattened. */
  public float[] firstMoment(int i) {
    return m.get(i).toFloatArray();
  }

  /** A copy of parameter {@code i}'s second moment v, flattened. */
  public float[] secondMoment(int i) {
    return v.get(i).toFloatArray();
  }

  /**
   * Restores the state from flattened moments, for checkpoint formats other than {@link #write}'s
   * (PEZ's, which predates this class's use there).
   */
  public void restore(long steps, List<float[]> firstMoments, List<float[]> secondMoments) {
    if (firstMoments.size() != m.size() || secondMoments.size() != v.size()) {
      throw new IllegalArgumentException("moments of " + firstMoments.size() + " parameters, "
          + "this optimiser has " + m.size());
    }
    for (int i = 0; i < m.size(); i++) {
      m.get(i).set(firstMoments.get(i));
      v.get(i).set(secondMoments.get(i));
    }
    this.steps = steps;
  }

  /** Writes the step count and both moments. */
  public void write(DataOutputStream out) throws IOException {
    out.writeLong(steps);
    for (int i = 0; i < m.size(); i++) {
      NdIo.write(out, m.get(i));
      NdIo.write(out, v.get(i));
    }
  }

  /** Reads what {@link #write} wrote. */
  public void read(DataInputStream in) throws IOException {
    steps = in.readLong();
    for (int i = 0; i < m.size(); i++) {
      NdIo.readInto(in, m.get(i));
      NdIo.readInto(in, v.get(i));
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
