package dev.pin.policy.algorithm;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.pin.policy.qnet.Backbone;
import dev.pin.policy.replay.Episode;
import java.util.List;

/**
 * RLPrompt: soft Q-learning over prompt tokens (Deng et al., EMNLP 2022; ALGORITHMS.md §3).
 *
 * <p>Policy {@code π = softmax(Q/α)} restricted to the top-k tokens by Q (k = 256 classification,
 * 50 style transfer; the rest get −∞), with an optional constant logit bias on every Q; greedy
 * decoding is argmax Q. Training is on-policy: the loss (default ½(v2+v3), {@link SoftQLoss}) uses
 * the very prompts just sampled. Each update: Polyak-sync the target MLP, compute target Q, the
 * loss, one Adam step with gradient-norm clipping.
 */
public final class SoftQLearning extends PolicyBase {

  /** A fresh policy on {@code backbone} (not closed by this policy), on the CPU. */
  public SoftQLearning(PolicyHyperparameters hp, Backbone backbone) {
    this(hp, backbone, Device.cpu());
  }

  /** A fresh policy on {@code device}, where the backbone's heads must live. */
  public SoftQLearning(PolicyHyperparameters hp, Backbone backbone, Device device) {
    super(hp, PolicyHyperparameters.Algorithm.SOFT_Q, backbone, device);
  }

  // ---- 1. sample: z_t ~ softmax(top-k(Q(s_t,·)/α + β·ℓ(s_t,·))), token by token ----

  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int vocab = core.actionSpace.vocabSize();
    return core.rollout(batchSize, h -> {
      float[] q;
      float[] prior = null;
      try (NDScope scope = new NDScope()) {
        NDArray hNd = core.toNd(h);
        q = qValues(core.qnet.q(hNd)).toFloatArray();
        if (hp.priorWeight() > 0) {
          prior = core.backbone.priorHead().logits(hNd).toFloatArray();
        }
      }
      float[] lmPrior = prior;
      return (b, prefix) -> choose(q, lmPrior, b * vocab, prefix, greedy);
    });
  }

  /**
   * One state's token: the top-k softmax distribution, then a draw from it or its argmax. The
   * scores are Q/α, plus β·ℓ with the prior weight β ({@code policy.prior_weight}, 0 in the paper:
   * softmax(Q/α + β·log p_LM), the optimal policy under a KL penalty towards the LM; ℓ stands for
   * log p_LM because softmax ignores a constant added to every score). Top-k ranks the scores.
   */
  private PolicyCore.Choice choose(float[] q, float[] prior, int offset, int[] prefix,
      boolean greedy) {
    int vocab = core.actionSpace.vocabSize();
    float[] row = new float[vocab];
    for (int a = 0; a < vocab; a++) {
      row[a] = (float) (q[offset + a] / hp.alpha()
          + (prior == null ? 0 : hp.priorWeight() * prior[offset + a]));
    }
    boolean[] allowed = core.allowedMask;
    int choices = core.actionSpace.size();
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
    int token = greedy ? candidates[best] : core.draw(candidates, p);
    double prob = 0;
    int support = 0;
    for (int i = 0; i < k; i++) {
      support += p[i] > 0 ? 1 : 0;
      if (candidates[i] == token) {
        prob = p[i];
      }
    }
    return new PolicyCore.Choice(token, q[offset + token], (float) Math.log(prob), entropy,
        support, PolicyCore.spread(qCandidates));
  }

  // ---- 2. rewards come from outside; 3. update: sync target → target Q → loss → Adam step ----

  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    List<Episode> batch = core.batch(core.episodes(prompts));
    if (batch == null) {
      return core.skipped();
    }
    UpdateResult result = null;
    for (int u = 0; u < hp.updatesPerStep(); u++) { // replay.updates_per_step, default 1
      if (u > 0) {
        batch = core.redraw(batch);
      }
      try (NDScope scope = new NDScope()) {
        syncTarget();
        PolicyCore.Tensors x = core.tensors(batch);
        NDArray qTarget = targetQ(x.hidden());
        result = core.gradientStep(theta -> loss(x, theta, qTarget));
      }
    }
    return result;
  }

  /** θ̄ ← (1−ρ)·θ̄ + ρ·θ, before every gradient step (§2). */
  private void syncTarget() {
    core.qnet.polyak(hp.targetPolyak());
  }

  /** Q_θ̄(s_t,·) + bias for every state of the batch, without gradient: [N,T,V]. */
  private NDArray targetQ(NDArray hidden) {
    return qValues(core.qnet.qTarget(hidden)).stopGradient();
  }

  /** The §3 loss with Q_θ from the gradient-tracking parameters θ; special tokens are −∞ in V. */
  private LossTerms loss(PolicyCore.Tensors x, List<NDArray> theta, NDArray qTarget) {
    NDArray q = qValues(core.qnet.q(x.hidden(), theta));
    return SoftQLoss.compute(hp.sqlLoss(), q, qTarget, x.actions(), x.rewards(), core.allowed,
        hp.alpha(), hp.gamma());
  }

  /** Q with RLPrompt's constant logit bias (0 unless style transfer). */
  private NDArray qValues(NDArray q) {
    return hp.logitBias() == 0 ? q : q.add(hp.logitBias());
  }

}
