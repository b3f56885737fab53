package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.replay.Episode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * PIN: sparse Tsallis Q-learning over prompt tokens (Choi et al., ACL 2024; ALGORITHMS.md §4).
 *
 * <p>Policy {@code π = sparsemax(F_I[Q]/α)}, where the LM-prior filter F_I keeps the tokens whose
 * frozen-LM logit is among the top k and gives the rest Q = −1000 (§4.2); greedy decoding is argmax
 * F_I[Q]. Training is off-policy (§4.4): prompts with their frozen hidden states and shaped rewards
 * go into a FIFO replay buffer; once it holds the warm-up count, each update draws a batch with
 * replacement, Polyak-syncs the target MLP, recomputes online and target filtered Q from the stored
 * hidden states, and takes one Adam step on the §4.3 loss (default v1, {@link SparseTsallisLoss}).
 */
public final class SparseTsallisQLearning implements PromptPolicy {

  private final PolicyHyperparameters hp;
  private final PolicyCore core;
  private final int filterTopK;

  /** A fresh policy on {@code backbone} (not closed by this policy). */
  public SparseTsallisQLearning(PolicyHyperparameters hp, Backbone backbone) {
    if (hp.algorithm() != PolicyHyperparameters.Algorithm.SPARSE_TSALLIS) {
      throw new IllegalArgumentException("SparseTsallisQLearning needs algorithm SPARSE_TSALLIS");
    }
    this.hp = hp;
    this.core = new PolicyCore(hp, backbone);
    this.filterTopK = hp.effectiveFilterTopK(core.actionSpace.size());
  }

  // ---- 1. sample: z_t ~ sparsemax(F_I[Q(s_t,·)]/α), token by token ----

  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int steps = hp.promptLength();
    int vocab = core.actionSpace.vocabSize();
    int d = core.qnet.hiddenSize();
    int[][] tokens = new int[batchSize][steps];
    float[][] hidden = new float[batchSize][steps * d];
    float[][] qValues = new float[batchSize][steps];
    float[][] logProbs = new float[batchSize][steps];
    double entropySum = 0;
    double supportSum = 0;
    for (int t = 0; t < steps; t++) {
      float[][] h = core.hiddenStates(tokens, t);
      float[] q;
      boolean[] keep;
      try (NDScope scope = new NDScope()) {
        NDArray hNd = core.toNd(h);
        q = core.qnet.q(hNd).toFloatArray();
        keep = keepMask(hNd).toBooleanArray();
      }
      for (int b = 0; b < batchSize; b++) {
        System.arraycopy(h[b], 0, hidden[b], t * d, d);
        PolicyCore.Choice c = choose(q, keep, b * vocab, greedy);
        tokens[b][t] = c.token();
        qValues[b][t] = c.q();
        logProbs[b][t] = c.logProb();
        entropySum += c.entropy();
        supportSum += c.support();
      }
    }
    return core.finish(tokens, hidden, qValues, logProbs, entropySum, supportSum);
  }

  /**
   * F_I's keep mask for hidden states {@code [..., d]}: the frozen LM's own logits ℓ (its prior
   * head on h, no MLP), top-k over the allowed tokens with ties kept (§4.2); just the action mask when the filter
   * is off.
   */
  private NDArray keepMask(NDArray hidden) {
    if (!hp.filterEnabled()) {
      long[] shape = hidden.getShape().getShape();
      shape[shape.length - 1] = core.actionSpace.vocabSize();
      return core.allowed.broadcast(new ai.djl.ndarray.types.Shape(shape));
    }
    NDArray logits = core.backbone.priorHead().logits(hidden);
    return LmFilter.keep(logits, filterTopK, core.allowed);
  }

  /**
   * One state's token: sparsemax over the kept entries only (the filtered ones sit at −1000 and are
   * never in the support), then a draw from it, or argmax F_I[Q].
   */
  private PolicyCore.Choice choose(float[] q, boolean[] keep, int offset, boolean greedy) {
    int vocab = core.actionSpace.vocabSize();
    int n = 0;
    for (int a = 0; a < vocab; a++) {
      n += keep[offset + a] ? 1 : 0;
    }
    int[] candidates = new int[n];
    double[] z = new double[n];
    int best = 0;
    for (int a = 0, i = 0; a < vocab; a++) {
      if (keep[offset + a]) {
        candidates[i] = a;
        z[i] = q[offset + a] / hp.alpha();
        if (z[i] > z[best]) {
          best = i;
        }
        i++;
      }
    }
    double[] p = Sparsemax.sparsemax(z);
    int token = greedy ? candidates[best] : core.draw(candidates, p);
    double entropy = 0;
    int support = 0;
    double prob = 0;
    for (int i = 0; i < n; i++) {
      if (p[i] > 0) {
        support++;
        entropy -= p[i] * Math.log(p[i]);
      }
      if (candidates[i] == token) {
        prob = p[i];
      }
    }
    return new PolicyCore.Choice(token, q[offset + token], (float) Math.log(prob), entropy,
        support);
  }

  // ---- 2. rewards come from outside; 3. update: replay → sync → target Q → loss → step ----

  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    List<Episode> batch = core.batch(core.episodes(prompts));
    if (batch == null) {
      return core.skipped(); // replay buffer still warming up
    }
    try (NDScope scope = new NDScope()) {
      syncTarget();
      PolicyCore.Tensors x = core.tensors(batch);
      NDArray keep = keepMask(x.hidden()); // from the stored hidden states: the LM is frozen
      // v1 regresses on Monte-Carlo returns and never reads Q_θ̄: skip that forward pass.
      NDArray qTarget = hp.pinLoss() == SparseTsallisLoss.Kind.V1 ? null
          : core.qnet.qTarget(x.hidden()).stopGradient();
      return core.gradientStep(theta -> loss(x, theta, qTarget, keep));
    }
  }

  /** θ̄ ← (1−ρ)·θ̄ + ρ·θ, before every gradient step (§2). */
  private void syncTarget() {
    core.qnet.polyak(hp.targetPolyak());
  }

  /** The §4.3 loss; online and target Q are filtered by the same F_I inside it. */
  private LossTerms loss(PolicyCore.Tensors x, List<NDArray> theta, NDArray qTarget,
      NDArray keep) {
    NDArray q = core.qnet.q(x.hidden(), theta);
    return SparseTsallisLoss.compute(hp.pinLoss(), q, qTarget, keep, (float) hp.ignoredValue(),
        x.actions(), x.rewards(), hp.alpha(), hp.gamma());
  }

  // ---- bookkeeping ----

  /** k of the LM filter after resolving the default against the action space. */
  public int filterTopK() {
    return filterTopK;
  }

  /** Native arrays alive under this policy (for leak tests). */
  synchronized int liveArrays() {
    return core.liveArrays();
  }

  @Override
  public PolicyHyperparameters hyperparameters() {
    return hp;
  }

  @Override
  public synchronized long step() {
    return core.step();
  }

  @Override
  public synchronized int replaySize() {
    return core.replaySize();
  }

  @Override
  public int actionSpaceSize() {
    return core.actionSpace.size();
  }

  @Override
  public long trainableParameters() {
    return core.qnet.trainableParameters();
  }

  @Override
  public synchronized void save(OutputStream out) throws IOException {
    core.save(out);
  }

  @Override
  public synchronized void load(InputStream in) throws IOException {
    core.load(in);
  }

  @Override
  public synchronized void close() {
    core.close();
  }
}
