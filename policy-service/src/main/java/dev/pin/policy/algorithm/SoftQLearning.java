package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.replay.Episode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * RLPrompt: soft Q-learning over prompt tokens (Deng et al., EMNLP 2022; ALGORITHMS.md §3), in the
 * order of the math: {@link #sample} draws prompts token by token from {@code π = softmax(Q/α)}
 * over the top-k tokens by Q (k = 256 classification, 50 style transfer), or takes the argmax;
 * rewards come from outside; {@link #update} syncs the target network, computes the target values
 * V̄ and the §3 loss ({@link #loss}, default ½(v2 + v3)) and takes one Adam step with gradient-norm
 * clipping. Training is on-policy: the loss uses the very prompts just sampled. Q may carry a
 * constant logit bias (−10 for style transfer). With {@code soft_q.lm_filter.top_k} (off in the
 * paper) PIN's LM-prior filter F_I (§4.2) restricts the actions of every state, for sampling and
 * for the soft values of the losses alike.
 *
 * <p>The Q-network, optimiser, RNG, replay buffer, sample cache and checkpoints are {@link
 * PolicyState}'s, shared with {@link SparseTsallisQLearning}.
 */
public final class SoftQLearning implements PromptPolicy {

  /** The §3 loss variants. */
  public enum Loss {
    /** One-step Bellman: (Q_θ(s_t,a_t) − y_t)², y_t = γ·V̄(s_{t+1}), y_{T−1} = r. */
    V1,
    /** One-step path consistency: (A_t − Â_t)², Â_t = γ·V̄(s_{t+1}) − V̄(s_t), Â_{T−1} = r − V̄. */
    V2,
    /** Multi-step path consistency: (Σ_{u≥t} A_u − (r − V̄(s_t)))². */
    V3,
    /** ½(v2 + v3), what the released RLPrompt runs optimise (the default). */
    V2_V3_MIXED
  }

  private final PolicyHyperparameters hp;
  private final PolicyState state;
  private final int filterTopK;

  /** A fresh policy on {@code backbone} (not closed by this policy), on the CPU. */
  public SoftQLearning(PolicyHyperparameters hp, Backbone backbone) {
    this(hp, backbone, Device.cpu());
  }

  /** A fresh policy on {@code device}, where the backbone's heads must live. */
  public SoftQLearning(PolicyHyperparameters hp, Backbone backbone, Device device) {
    if (hp.algorithm() != PolicyHyperparameters.Algorithm.SOFT_Q) {
      throw new IllegalArgumentException("SoftQLearning needs algorithm SOFT_Q");
    }
    this.hp = hp;
    this.state = new PolicyState(hp, backbone, device);
    this.filterTopK = hp.effectiveFilterTopK(state.actionSpace.size());
  }

  // ---- 1. sample: z_t ~ softmax(top-k(Q(s_t,·)/α + β·ℓ(s_t,·))), token by token ----

  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int vocab = state.actionSpace.vocabSize();
    Rollout rollout = new Rollout(batchSize, hp.promptLength(), state.qnet.hiddenSize());
    for (int t = 0; t < hp.promptLength(); t++) {
      float[][] h = rollout.hiddenStates(state.backbone, t); // h_t of every row's s_t (§2)
      float[] q;
      float[] prior = null;
      boolean[] keep = null;
      try (NDScope scope = new NDScope()) { // Q(s_t,·) = W_LM·MLP_θ(h_t), and ℓ if needed
        NDArray hNd = state.toNd(h);
        q = withBias(state.qnet.q(hNd)).toFloatArray();
        NDArray logits = hp.priorWeight() > 0 || hp.filterEnabled()
            ? state.backbone.priorHead().logits(hNd) : null;
        if (hp.priorWeight() > 0) {
          prior = logits.toFloatArray();
        }
        if (hp.filterEnabled()) { // F_I: the top-k tokens by the frozen LM's own logits ℓ
          keep = LmFilter.keep(logits, filterTopK, state.allowed).toBooleanArray();
        }
      }
      for (int b = 0; b < batchSize; b++) {
        rollout.add(b, t, h[b],
            choose(q, prior, keep, b * vocab, rollout.prefix(b, t), greedy));
      }
    }
    return rollout.finish(state.samples);
  }

  /**
   * One state's token: the top-k softmax distribution, then a draw from it or its argmax. The
   * scores are Q/α, plus β·ℓ with the prior weight β ({@code policy.prior_weight}, 0 in the paper:
   * softmax(Q/α + β·log p_LM), the optimal policy under a KL penalty towards the LM; ℓ stands for
   * log p_LM because softmax ignores a constant added to every score). Top-k ranks the scores,
   * among the tokens F_I keeps when {@code keep} is set.
   */
  private Rollout.Choice choose(float[] q, float[] prior, boolean[] keep, int offset,
      int[] prefix, boolean greedy) {
    int vocab = state.actionSpace.vocabSize();
    float[] row = new float[vocab];
    for (int a = 0; a < vocab; a++) {
      row[a] = (float) (q[offset + a] / hp.alpha()
          + (prior == null ? 0 : hp.priorWeight() * prior[offset + a]));
    }
    boolean[] allowed = state.allowedMask;
    int choices = state.actionSpace.size();
    if (keep != null) {
      allowed = new boolean[vocab];
      choices = 0;
      for (int a = 0; a < vocab; a++) {
        allowed[a] = keep[offset + a];
        choices += allowed[a] ? 1 : 0;
      }
    }
    if (hp.noRepeat() && prefix.length > 0 && choices > prefix.length) {
      allowed = allowed.clone(); // policy.no_repeat_tokens: not twice in one prompt
      for (int a : prefix) {
        choices -= allowed[a] ? 1 : 0;
        allowed[a] = false;
      }
    }
    int k = Math.min(hp.samplingTopK(), choices);
    float kth = TopK.kthLargest(row, allowed, k);
    // Candidates: every score above the k-th, then ties at it in id order until there are k.
    int[] candidates = new int[k];
    int n = 0;
    for (int a = 0; a < vocab && n < k; a++) {
      if (allowed[a] && row[a] > kth) {
        candidates[n++] = a;
      }
    }
    for (int a = 0; a < vocab && n < k; a++) {
      if (allowed[a] && row[a] == kth) {
        candidates[n++] = a;
      }
    }
    // π = softmax over the candidates' scores.
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < k; i++) {
      max = Math.max(max, row[candidates[i]]);
    }
    double[] p = new double[k];
    double[] qCandidates = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      p[i] = Math.exp(row[candidates[i]] - max);
      qCandidates[i] = q[offset + candidates[i]];
      sum += p[i];
    }
    double entropy = 0;
    int best = 0;
    for (int i = 0; i < k; i++) {
      p[i] /= sum;
      entropy -= p[i] > 0 ? p[i] * Math.log(p[i]) : 0;
      if (row[candidates[i]] > row[candidates[best]]) {
        best = i;
      }
    }
    int token = greedy ? candidates[best] : candidates[state.rng.nextCategorical(p)];
    double prob = 0;
    int support = 0;
    for (int i = 0; i < k; i++) {
      support += p[i] > 0 ? 1 : 0;
      if (candidates[i] == token) {
        prob = p[i];
      }
    }
    return new Rollout.Choice(token, q[offset + token], (float) Math.log(prob), entropy, support,
        Rollout.spread(qCandidates));
  }

  // ---- 2. rewards come from outside (§5); 3. update: sync θ̄ → V̄ → §3 loss → Adam step ----

  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    // On-policy: the batch is the prompts just rewarded (or, with replay.enabled, a draw from the
    // replay buffer they join, once it is warm).
    List<Episode> batch = state.batch(state.samples.episodes(prompts));
    if (batch == null) {
      return state.skipped();
    }
    UpdateResult result = null;
    for (int u = 0; u < hp.updatesPerStep(); u++) { // replay.updates_per_step, default 1
      if (u > 0) {
        batch = state.redraw(batch);
      }
      result = gradientStep(batch);
    }
    return result;
  }

  /** One gradient step on {@code batch}. */
  private UpdateResult gradientStep(List<Episode> batch) {
    try (NDScope scope = new NDScope()) {
      // θ̄ ← (1−ρ)·θ̄ + ρ·θ comes first: §2 syncs the target before every gradient step.
      state.qnet.polyak(hp.targetPolyak());
      PolicyState.Tensors x = state.tensors(batch);
      // Target Q_θ̄(s_t,·) for V̄, without gradient: [N,T,V].
      NDArray qTarget = withBias(state.qnet.qTarget(x.hidden())).stopGradient();
      // The actions V and V̄ range over: the action space, or F_I's kept tokens of each state
      // (recomputed from the stored hidden states, valid because the LM is frozen) [N,T,V].
      NDArray actionsAllowed = hp.filterEnabled()
          ? LmFilter.keep(state.backbone.priorHead().logits(x.hidden()), filterTopK, state.allowed)
          : state.allowed;
      PolicyState.AUTOGRAD.lock();
      try {
        List<NDArray> theta = state.qnet.trainableCopies();
        LossTerms terms;
        NDArray batchLoss;
        try (GradientCollector tape = Engine.getEngine("PyTorch").newGradientCollector()) {
          // §3 loss, default ½(v2 + v3): per prompt Σ_t ½[(A_t − Â_t)² + (Σ_{u≥t} A_u − (r −
          // V̄(s_t)))²], A_t = Q_θ(s_t,a_t) − V_θ(s_t), V = α·log Σ_a exp(Q/α) over the allowed
          // tokens, Â_t = V̄(s_{t+1}) − V̄(s_t) (Â_{T−1} = r − V̄); averaged over the batch.
          NDArray q = withBias(state.qnet.q(x.hidden(), theta));
          terms = loss(hp.sqlLoss(), q, qTarget, x.actions(), x.rewards(), actionsAllowed,
              hp.alpha(), hp.gamma());
          batchLoss = terms.loss();
          tape.backward(batchLoss);
        }
        // Adam on ∇θ after clipping its global norm (optimizer.max_grad_norm, 5 in §3).
        double gradNorm = state.adam.step(state.qnet.parameters(), PolicyState.gradients(theta));
        return state.stepTaken(batchLoss, gradNorm, terms);
      } finally {
        PolicyState.AUTOGRAD.unlock();
      }
    }
  }

  /** Q with RLPrompt's constant logit bias (0 unless style transfer). */
  private NDArray withBias(NDArray q) {
    return hp.logitBias() == 0 ? q : q.add(hp.logitBias());
  }

  // ---- the §3 losses ----

  /**
   * The per-prompt §3 losses and the values they used, as NDArray code that autograd
   * differentiates. {@code V(s) = α·log Σ_a exp(Q(s,a)/α)} over the allowed actions, {@code A_t =
   * Q_θ(s_t,a_t) − V_θ(s_t)} with the gradient through both terms, and V̄ from the target Q
   * without gradient. Per-step squared errors are summed over t; {@link LossTerms#loss} averages
   * the per-prompt sums over the batch.
   *
   * <p>With γ &lt; 1, v3 uses the discounted path consistency {@code Σ_{u≥t} γ^{u−t} A_u =
   * γ^{T−1−t}·r − V̄(s_t)}, which telescopes from {@code A_t = r_t + γV(s_{t+1}) − V(s_t)}; at γ =
   * 1 (the §1 default) it is the table's form exactly.
   *
   * @param q online Q_θ [B,T,V] (−∞ at masked actions is allowed)
   * @param qTarget target Q_θ̄ [B,T,V]
   * @param actions a_t [B,T], int64
   * @param rewards r [B], attached to the last step
   * @param allowed boolean action mask [V] or [B,T,V], or null; masked entries are −∞ in V and V̄
   */
  public static LossTerms loss(Loss kind, NDArray q, NDArray qTarget, NDArray actions,
      NDArray rewards, NDArray allowed, double alpha, double gamma) {
    NDArray qTaken = SoftValues.taken(q, actions);
    NDArray v = SoftValues.logSumExp(mask(q, allowed), alpha);
    NDArray vTarget = SoftValues.logSumExp(mask(qTarget.stopGradient(), allowed), alpha);
    NDArray advantage = qTaken.sub(v);
    NDArray perStep = switch (kind) {
      case V1 -> qTaken.sub(SoftValues.bootstrap(vTarget, rewards, gamma)).square();
      case V2 -> v2(advantage, vTarget, rewards, gamma);
      case V3 -> v3(advantage, vTarget, rewards, gamma);
      case V2_V3_MIXED -> Scalars.times(v2(advantage, vTarget, rewards, gamma)
          .add(v3(advantage, vTarget, rewards, gamma)), 0.5);
    };
    return new LossTerms(perStep.sum(new int[] {1}), qTaken, v);
  }

  /** (A_t − Â_t)² with Â_t = γ·V̄(s_{t+1}) − V̄(s_t) and Â_{T−1} = r − V̄(s_{T−1}). */
  private static NDArray v2(NDArray advantage, NDArray vTarget, NDArray rewards, double gamma) {
    NDArray advantageTarget = SoftValues.bootstrap(vTarget, rewards, gamma).sub(vTarget);
    return advantage.sub(advantageTarget).square();
  }

  /** (Σ_{u≥t} γ^{u−t} A_u − (γ^{T−1−t}·r − V̄(s_t)))². */
  private static NDArray v3(NDArray advantage, NDArray vTarget, NDArray rewards, double gamma) {
    long steps = advantage.getShape().get(1);
    NDArray pathTarget = SoftValues.discountedReward(rewards, steps, gamma).sub(vTarget);
    return SoftValues.discountedSuffixSum(advantage, gamma).sub(pathTarget).square();
  }

  private static NDArray mask(NDArray q, NDArray allowed) {
    if (allowed == null) {
      return q;
    }
    return SoftValues.where(allowed, q, Float.NEGATIVE_INFINITY);
  }

  // ---- bookkeeping, answered by the shared state ----

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
