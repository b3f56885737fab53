package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.QNetwork;
import dev.pin.policy.replay.Episode;
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
public final class SparseTsallisQLearning extends PolicyBase {

  private final int filterTopK;

  /** A fresh policy on {@code backbone} (not closed by this policy), on the CPU. */
  public SparseTsallisQLearning(PolicyHyperparameters hp, Backbone backbone) {
    this(hp, backbone, Device.cpu());
  }

  /** A fresh policy on {@code device}, where the backbone's heads must live. */
  public SparseTsallisQLearning(PolicyHyperparameters hp, Backbone backbone, Device device) {
    super(hp, PolicyHyperparameters.Algorithm.SPARSE_TSALLIS, backbone, device);
    this.filterTopK = hp.effectiveFilterTopK(core.actionSpace.size());
  }

  // ---- 1. sample: z_t ~ sparsemax(F_I[Q(s_t,·)/α + β·ℓ(s_t,·)]), token by token ----

  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int vocab = core.actionSpace.vocabSize();
    return core.rollout(batchSize, h -> {
      float[] q;
      boolean[] keep;
      float[] prior = null;
      try (NDScope scope = new NDScope()) {
        NDArray hNd = core.toNd(h);
        q = core.qnet.q(hNd).toFloatArray();
        NDArray logits = needsPrior() ? core.backbone.priorHead().logits(hNd) : null;
        keep = keepMask(hNd, logits).toBooleanArray();
        if (hp.priorWeight() > 0) {
          prior = logits.toFloatArray();
        }
      }
      float[] lmPrior = prior;
      return (b, prefix) -> choose(q, keep, lmPrior, b * vocab, prefix, greedy);
    });
  }

  /** Whether sampling needs the frozen LM's own logits ℓ (for F_I, or for the prior weight). */
  private boolean needsPrior() {
    return hp.filterEnabled() || hp.priorWeight() > 0;
  }

  /**
   * F_I's keep mask for hidden states {@code [..., d]}: the frozen LM's own logits ℓ (its prior
   * head on h, no MLP), top-k over the allowed tokens with ties kept (§4.2); just the action mask
   * when the filter is off. {@code logits} are ℓ when the caller has them already, else null.
   */
  private NDArray keepMask(NDArray hidden, NDArray logits) {
    if (!hp.filterEnabled()) {
      long[] shape = hidden.getShape().getShape();
      shape[shape.length - 1] = core.actionSpace.vocabSize();
      return core.allowed.broadcast(new ai.djl.ndarray.types.Shape(shape));
    }
    NDArray l = logits != null ? logits : core.backbone.priorHead().logits(hidden);
    return LmFilter.keep(l, filterTopK, core.allowed);
  }

  /**
   * One state's token: sparsemax over the kept entries only (the filtered ones sit at −1000 and are
   * never in the support), then a draw from it, or its argmax. The scores are Q/α, plus β·ℓ with
   * the prior weight β ({@code policy.prior_weight}; ℓ rather than log p_LM because sparsemax, like
   * softmax, is unchanged by a constant added to every score).
   */
  private PolicyCore.Choice choose(float[] q, boolean[] keep, float[] prior, int offset,
      int[] prefix, boolean greedy) {
    int vocab = core.actionSpace.vocabSize();
    int n = 0;
    for (int a = 0; a < vocab; a++) {
      n += keep[offset + a] ? 1 : 0;
    }
    if (hp.noRepeat()) { // policy.no_repeat_tokens: not twice in one prompt
      int repeats = 0;
      for (int a : java.util.Arrays.stream(prefix).distinct().toArray()) {
        repeats += keep[offset + a] ? 1 : 0;
      }
      if (repeats < n) { // unless the prefix holds every kept token
        for (int a : prefix) {
          keep[offset + a] = false;
        }
        n -= repeats;
      }
    }
    int[] candidates = new int[n];
    double[] z = new double[n];
    double[] qKept = new double[n];
    int best = 0;
    for (int a = 0, i = 0; a < vocab; a++) {
      if (keep[offset + a]) {
        candidates[i] = a;
        qKept[i] = q[offset + a];
        z[i] = q[offset + a] / hp.alpha()
            + (prior == null ? 0 : hp.priorWeight() * prior[offset + a]);
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
        support, PolicyCore.spread(qKept));
  }

  // ---- 2. rewards come from outside; 3. update: replay → sync → target Q → loss → step ----

  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    List<Episode> batch = core.batch(core.episodes(prompts));
    if (batch == null) {
      return core.skipped(); // replay buffer still warming up
    }
    UpdateResult result = null;
    for (int u = 0; u < hp.updatesPerStep(); u++) { // replay.updates_per_step, default 1 (§4.4)
      if (u > 0) {
        batch = core.redraw(batch);
      }
      boolean reported = u == hp.updatesPerStep() - 1; // only the last update's values are read
      try (NDScope scope = new NDScope()) {
        syncTarget();
        PolicyCore.Tensors x = core.tensors(batch);
        if (hp.pinLoss() == SparseTsallisLoss.Kind.V1 && !reported) {
          result = core.gradientStep(theta -> SparseTsallisLoss.monteCarlo(
              qTaken(x, QNetwork.mlp(x.hidden(), theta)), x.rewards(), hp.gamma()));
          continue;
        }
        // F_I from the stored hidden states: the LM is frozen.
        NDArray keep = keepMask(x.hidden(), null);
        // v1 regresses on Monte-Carlo returns and never reads Q_θ̄: skip that forward pass.
        NDArray qTarget = hp.pinLoss() == SparseTsallisLoss.Kind.V1 ? null
            : core.qnet.qTarget(x.hidden()).stopGradient();
        result = core.gradientStep(theta -> loss(x, theta, qTarget, keep));
      }
    }
    return result;
  }

  /** θ̄ ← (1−ρ)·θ̄ + ρ·θ, before every gradient step (§2). */
  private void syncTarget() {
    core.qnet.polyak(hp.targetPolyak());
  }

  /** The §4.3 loss; online and target Q are filtered by the same F_I inside it. */
  private LossTerms loss(PolicyCore.Tensors x, List<NDArray> theta, NDArray qTarget,
      NDArray keep) {
    if (hp.pinLoss() == SparseTsallisLoss.Kind.V1) {
      // v1's gradient flows through Q_θ(s_t, a_t) = W_LM[a_t]·MLP_θ(h_t) alone: that takes d
      // numbers per state, while the full Q over |V| (the reported V_sp) needs no gradient.
      NDArray mlp = QNetwork.mlp(x.hidden(), theta);
      NDArray q = core.qnet.head().logits(mlp.stopGradient());
      return SparseTsallisLoss.compute(hp.pinLoss(), qTaken(x, mlp), q, qTarget, keep,
          (float) hp.ignoredValue(), x.rewards(), hp.alpha(), hp.gamma());
    }
    NDArray q = core.qnet.q(x.hidden(), theta);
    return SparseTsallisLoss.compute(hp.pinLoss(), q, qTarget, keep, (float) hp.ignoredValue(),
        x.actions(), x.rewards(), hp.alpha(), hp.gamma());
  }

  /** Q_θ(s_t, a_t) = W_LM[a_t]·MLP_θ(h_t): d numbers per state, all that v1's gradient reads. */
  private NDArray qTaken(PolicyCore.Tensors x, NDArray mlp) {
    return core.qnet.head().logitsAt(mlp, x.actions());
  }

  // ---- settings ----

  /** k of the LM filter after resolving the default against the action space. */
  public int filterTopK() {
    return filterTopK;
  }
}
