package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.qnet.QNetwork;
import dev.pin.policy.replay.Episode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * PIN: sparse Tsallis Q-learning over prompt tokens (Choi et al., ACL 2024; ALGORITHMS.md §4), in
 * the order of the math: {@link #sample} draws prompts token by token from {@code π =
 * sparsemax(F_I[Q]/α)}, where the LM-prior filter F_I keeps the tokens whose frozen-LM logit is
 * among the top k and gives the rest Q = −1000 (§4.2), or takes the argmax of F_I[Q]; rewards come
 * from outside; {@link #update} is off-policy (§4.4): prompts with their frozen hidden states and
 * shaped rewards go into a FIFO replay buffer, and once it holds the warm-up count each gradient
 * step draws a batch with replacement, syncs the target network, recomputes online and target
 * filtered Q from the stored hidden states and takes one Adam step on the §4.3 loss ({@link
 * #loss}, default v1).
 *
 * <p>The Q-network, optimiser, RNG, replay buffer, sample cache and checkpoints are {@link
 * PolicyState}'s, shared with {@link SoftQLearning}.
 */
public final class SparseTsallisQLearning implements PromptPolicy {

  /** The §4.3 loss variants. */
  public enum Loss {
    /** Released code (default): Monte-Carlo regression Σ_t (Q_θ(s_t,a_t) − γ^{T−1−t}·r)². */
    V1,
    /** Paper-like path consistency: (Q_θ − V_sp,θ − Â_t)², Â_t = Q̂_t − V̄_sp(s_t). */
    V2,
    /** The paper's Algorithm 1: (Q_θ(s_t,z_t) − r_t − γ·α·spmax(F_I[Q_θ̄(s_{t+1},·)]/α))². */
    ALGORITHM1,
    /** Multi-step: (Σ_{u≥t} γ^{u−t}(Q_θ − V_sp,θ)_u − (γ^{T−1−t}·r − V̄_sp(s_t)))². */
    V3
  }

  private final PolicyHyperparameters hp;
  private final PolicyState state;
  private final int filterTopK;

  /** A fresh policy on {@code backbone} (not closed by this policy), on the CPU. */
  public SparseTsallisQLearning(PolicyHyperparameters hp, Backbone backbone) {
    this(hp, backbone, Device.cpu());
  }

  /** A fresh policy on {@code device}, where the backbone's heads must live. */
  public SparseTsallisQLearning(PolicyHyperparameters hp, Backbone backbone, Device device) {
    if (hp.algorithm() != PolicyHyperparameters.Algorithm.SPARSE_TSALLIS) {
      throw new IllegalArgumentException("SparseTsallisQLearning needs algorithm SPARSE_TSALLIS");
    }
    this.hp = hp;
    this.state = new PolicyState(hp, backbone, device);
    this.filterTopK = hp.effectiveFilterTopK(state.actionSpace.size());
  }

  // ---- 1. sample: z_t ~ sparsemax(F_I[Q(s_t,·)/α + β·ℓ(s_t,·)]), token by token ----

  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int vocab = state.actionSpace.vocabSize();
    Rollout rollout = new Rollout(batchSize, hp.promptLength(), state.qnet.hiddenSize());
    for (int t = 0; t < hp.promptLength(); t++) {
      float[][] h = rollout.hiddenStates(state.backbone, t); // h_t of every row's s_t (§2)
      float[] q;
      boolean[] keep;
      float[] prior = null;
      try (NDScope scope = new NDScope()) { // Q(s_t,·) = W_LM·MLP_θ(h_t), and ℓ if needed
        NDArray hNd = state.toNd(h);
        q = state.qnet.q(hNd).toFloatArray();
        NDArray logits = needsPrior() ? state.backbone.priorHead().logits(hNd) : null;
        keep = keepMask(hNd, logits).toBooleanArray();
        if (hp.priorWeight() > 0) {
          prior = logits.toFloatArray();
        }
      }
      for (int b = 0; b < batchSize; b++) {
        rollout.add(b, t, h[b], choose(q, keep, prior, b * vocab, rollout.prefix(b, t), greedy));
      }
    }
    return rollout.finish(state.samples);
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
      shape[shape.length - 1] = state.actionSpace.vocabSize();
      return state.allowed.broadcast(new Shape(shape));
    }
    NDArray l = logits != null ? logits : state.backbone.priorHead().logits(hidden);
    return LmFilter.keep(l, filterTopK, state.allowed);
  }

  /**
   * One state's token: sparsemax over the kept entries only (the filtered ones sit at −1000 and are
   * never in the support), then a draw from it, or its argmax. The scores are Q/α, plus β·ℓ with
   * the prior weight β ({@code policy.prior_weight}; ℓ rather than log p_LM because sparsemax, like
   * softmax, is unchanged by a constant added to every score).
   */
  private Rollout.Choice choose(float[] q, boolean[] keep, float[] prior, int offset, int[] prefix,
      boolean greedy) {
    int vocab = state.actionSpace.vocabSize();
    int n = 0;
    for (int a = 0; a < vocab; a++) {
      n += keep[offset + a] ? 1 : 0;
    }
    if (hp.noRepeat()) { // policy.no_repeat_tokens: not twice in one prompt
      int repeats = 0;
      for (int a : Arrays.stream(prefix).distinct().toArray()) {
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
    int token = greedy ? candidates[best] : candidates[state.rng.nextCategorical(p)];
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
    return new Rollout.Choice(token, q[offset + token], (float) Math.log(prob), entropy, support,
        Rollout.spread(qKept));
  }

  // ---- 2. rewards come from outside (§5); 3. update: replay → sync θ̄ → V̄_sp → loss → Adam ----

  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    // Off-policy (§4.4): the prompts join the replay buffer; a batch is drawn with replacement
    // once it is warm (or, with replay.enabled off, the prompts themselves are the batch).
    List<Episode> batch = state.batch(state.samples.episodes(prompts));
    if (batch == null) {
      return state.skipped(); // replay buffer still warming up
    }
    UpdateResult result = null;
    for (int u = 0; u < hp.updatesPerStep(); u++) { // replay.updates_per_step, default 1 (§4.4)
      if (u > 0) {
        batch = state.redraw(batch);
      }
      result = gradientStep(batch, u == hp.updatesPerStep() - 1);
    }
    return result;
  }

  /**
   * One gradient step on {@code batch}; {@code reported} marks the step whose values (V_sp) the
   * answer carries, the last of {@code replay.updates_per_step}.
   */
  private UpdateResult gradientStep(List<Episode> batch, boolean reported) {
    try (NDScope scope = new NDScope()) {
      // θ̄ ← (1−ρ)·θ̄ + ρ·θ comes first: §2 syncs the target before every gradient step.
      state.qnet.polyak(hp.targetPolyak());
      PolicyState.Tensors x = state.tensors(batch);
      boolean v1 = hp.pinLoss() == Loss.V1;
      // F_I from the stored hidden states (valid because the LM is frozen). v1's loss never reads
      // it: only a reported step, whose V_sp it filters, pays for it.
      NDArray keep = v1 && !reported ? null : keepMask(x.hidden(), null);
      // Target Q_θ̄ for V̄_sp, without gradient; v1 regresses on Monte-Carlo returns instead.
      NDArray qTarget = v1 ? null : state.qnet.qTarget(x.hidden()).stopGradient();
      PolicyState.AUTOGRAD.lock();
      try {
        List<NDArray> theta = state.qnet.trainableCopies();
        LossTerms terms;
        NDArray batchLoss;
        try (GradientCollector tape = Engine.getEngine("PyTorch").newGradientCollector()) {
          // §4.3 loss, default v1: Σ_t (Q_θ(s_t,a_t) − γ^{T−1−t}·r)², averaged over the batch;
          // v2, v3 and Algorithm 1 also read V_sp and V̄_sp = α·spmax(F_I[Q_θ̄]/α) (see Loss).
          if (v1) {
            terms = v1Loss(x, theta, keep, reported);
          } else {
            NDArray q = state.qnet.q(x.hidden(), theta);
            terms = loss(hp.pinLoss(), q, qTarget, keep, (float) hp.ignoredValue(), x.actions(),
                x.rewards(), hp.alpha(), hp.gamma());
          }
          batchLoss = terms.loss();
          tape.backward(batchLoss);
        }
        // Adam on ∇θ after clipping its global norm (optimizer.max_grad_norm).
        double gradNorm = state.adam.step(state.qnet.parameters(), PolicyState.gradients(theta));
        return state.stepTaken(batchLoss, gradNorm, terms);
      } finally {
        PolicyState.AUTOGRAD.unlock();
      }
    }
  }

  /**
   * v1 reads Q_θ only at the taken actions: Q_θ(s_t, a_t) = W_LM[a_t]·MLP_θ(h_t) takes d numbers
   * per state and carries the whole gradient. The full Q over |V| is needed only for a reported
   * V_sp, and then without gradient.
   */
  private LossTerms v1Loss(PolicyState.Tensors x, List<NDArray> theta, NDArray keep,
      boolean reported) {
    NDArray mlp = QNetwork.mlp(x.hidden(), theta);
    NDArray qTaken = state.qnet.head().logitsAt(mlp, x.actions());
    if (!reported) { // skip F_I and the spmax over |V|, which cost more than the step itself
      return new LossTerms(monteCarloErrors(qTaken, x.rewards(), hp.gamma()).sum(new int[] {1}),
          qTaken, null);
    }
    NDArray q = state.qnet.head().logits(mlp.stopGradient());
    return loss(Loss.V1, qTaken, q, null, keep, (float) hp.ignoredValue(), x.rewards(),
        hp.alpha(), hp.gamma());
  }

  // ---- the §4.3 losses ----

  /**
   * The per-prompt §4.3 losses and the values they used, as NDArray code that autograd
   * differentiates. {@code V_sp = α·spmax(F_I[Q_θ]/α)} with gradient sparsemax ({@link
   * NdSparsemax}), {@code V̄_sp} the same with the target net and no gradient. Per-step squared
   * errors are summed over t; {@link LossTerms#loss} averages over the batch.
   *
   * <p>{@code Q_θ(s_t,a_t)} is read from the unfiltered Q: for sampled prompts the action is always
   * inside the filter, and for a prompt written by a person it keeps the gradient instead of
   * pinning the value to the ignored constant.
   *
   * @param q online Q_θ [B,T,V], unfiltered
   * @param qTarget target Q_θ̄ [B,T,V], unfiltered (unused by v1, which may pass null)
   * @param keep boolean [B,T,V] (or broadcastable): F_I's keep mask combined with the action mask;
   *     null = no filter
   * @param ignoredValue Q given to filtered tokens (−1000)
   * @param actions a_t [B,T], int64
   * @param rewards r [B], attached to the last step
   */
  public static LossTerms loss(Loss kind, NDArray q, NDArray qTarget, NDArray keep,
      float ignoredValue, NDArray actions, NDArray rewards, double alpha, double gamma) {
    return loss(kind, SoftValues.taken(q, actions), q, qTarget, keep, ignoredValue, rewards,
        alpha, gamma);
  }

  /**
   * The same with Q_θ(s_t, a_t) given apart: {@code qTaken [B,T]} carries the gradient of v1,
   * which reads nothing else of Q_θ, so for v1 {@code q} may come without gradient (it then only
   * gives the reported V_sp). For v2, v3 and Algorithm 1 the gradient also flows through V_sp, so
   * {@code q} must be the differentiable Q_θ that {@code qTaken} was read from.
   */
  private static LossTerms loss(Loss kind, NDArray qTaken, NDArray q, NDArray qTarget,
      NDArray keep, float ignoredValue, NDArray rewards, double alpha, double gamma) {
    NDArray qFiltered = keep == null ? q : LmFilter.apply(q, keep, ignoredValue);
    // v1 does not use V_sp; it is still reported, computed without a gradient.
    NDArray vSp = NdSparsemax.spmax(kind == Loss.V1 ? qFiltered.stopGradient() : qFiltered, alpha);
    long steps = qTaken.getShape().get(1);
    NDArray perStep = switch (kind) {
      case V1 -> monteCarloErrors(qTaken, rewards, gamma);
      case V2 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray qHat = SoftValues.bootstrap(vTarget, rewards, gamma);
        NDArray advantageTarget = qHat.sub(vTarget);
        yield qTaken.sub(vSp).sub(advantageTarget).square();
      }
      case ALGORITHM1 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray qHat = SoftValues.bootstrap(vTarget, rewards, gamma); // r_t = 0 before T−1
        yield qTaken.sub(qHat).square();
      }
      case V3 -> {
        NDArray vTarget = targetValues(qTarget, keep, ignoredValue, alpha);
        NDArray pathTarget = SoftValues.discountedReward(rewards, steps, gamma).sub(vTarget);
        yield SoftValues.discountedSuffixSum(qTaken.sub(vSp), gamma).sub(pathTarget).square();
      }
    };
    return new LossTerms(perStep.sum(new int[] {1}), qTaken, vSp);
  }

  /** (Q_θ(s_t,a_t) − γ^{T−1−t}·r)² per step: [B,T]. */
  private static NDArray monteCarloErrors(NDArray qTaken, NDArray rewards, double gamma) {
    long steps = qTaken.getShape().get(1);
    return qTaken.sub(SoftValues.discountedReward(rewards, steps, gamma)).square();
  }

  /** V̄_sp(s_t) = α·spmax(F_I[Q_θ̄(s_t,·)]/α), without gradient: [B,T]. */
  private static NDArray targetValues(NDArray qTarget, NDArray keep, float ignoredValue,
      double alpha) {
    NDArray qBar = qTarget.stopGradient();
    NDArray filtered = keep == null ? qBar : LmFilter.apply(qBar, keep, ignoredValue);
    return NdSparsemax.spmax(filtered, alpha).stopGradient();
  }

  // ---- settings and bookkeeping, answered by the shared state ----

  /** k of the LM filter after resolving the default against the action space. */
  public int filterTopK() {
    return filterTopK;
  }

  /** Its settings. */
  public PolicyHyperparameters hyperparameters() {
    return hp;
  }

  @Override
  public synchronized long step() {
    return state.step();
  }

  @Override
  public synchronized int replaySize() {
    return state.replaySize();
  }

  @Override
  public int actionSpaceSize() {
    return state.actionSpace.size();
  }

  @Override
  public long trainableParameters() {
    return state.qnet.trainableParameters();
  }

  @Override
  public synchronized void save(OutputStream out) throws IOException {
    state.save(out);
  }

  @Override
  public synchronized void load(InputStream in) throws IOException {
    state.load(in);
  }

  @Override
  public synchronized void close() {
    state.close();
  }

  /** Native arrays alive under this policy (for leak tests). */
  synchronized int liveArrays() {
    return state.liveArrays();
  }
}
