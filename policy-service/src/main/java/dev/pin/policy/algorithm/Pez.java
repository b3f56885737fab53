package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * PEZ, hard prompts made easy (Wen et al., NeurIPS 2023; ALGORITHMS.md §7.1), the LM variant:
 * few-shot classification through a frozen masked task LM. The trainable state is a continuous
 * prompt P ∈ ℝ^{L×d}, initialised from the embeddings of L random tokens. Each {@link #update} is
 * one step of §7.1, in its order: (1) project every row of P to the vocabulary embedding of
 * highest cosine similarity, P′ = E[idx]; (2) forward the task model with P′ spliced into every
 * training example as input embeddings ({@link PezTask}); (3) the loss, cross-entropy over the
 * verbalizer logits at the mask; (4) its gradient w.r.t. the <em>projected</em> P′, applied to
 * P; (5) AdamW. Step (6), keeping the best decoded prompt, is the orchestrator's: {@link #sample}
 * hands out the current projection idx as the run's prompt, which is scored and dev-evaluated
 * like the RL methods' prompts. Rewards sent to {@link #update} are not used: PEZ learns from
 * the task loss's gradient, not from a reward.
 *
 * <p>With a fluency weight w > 0 the loss is §7.1's mix L = w·NLL(prompt) + (1−w)·L_task. §7.1
 * takes NLL under a causal LM; the task model here is a masked LM, whose embedding space P lives
 * in, so NLL is the prompt's pseudo-log-likelihood under it (§7.3, Salazar et al.), per token:
 * −(1/L) Σ_t log p(idx_t | [CLS] P′ with row t masked [SEP]), differentiated w.r.t. the other rows
 * of P′ (the masked row's target idx_t is discrete).
 *
 * <p>The projection's candidates are the vocabulary minus the special tokens (the RL action
 * space's rule, §2). The task model's weights never require gradients; the backward pass reaches
 * P′ only, and runs under {@link PolicyState#AUTOGRAD} (DJL's gradient collector is global),
 * over the examples in chunks whose gradients are summed ({@link #EXAMPLES_PER_FORWARD}).
 * AdamW is written out (as torch.optim.AdamW, β = 0.9, 0.999, ε = 1e-8) so its moments go into
 * the checkpoint with P.
 */
public final class Pez implements PromptPolicy {
  private static final int MAGIC = 0x50455A31; // "PEZ1"
  private static final int VERSION = 1;
  /**
   * Examples per forward and backward: the step's gradient is the sum of the chunks' (the loss
   * is one mean over every example), so this bounds memory, not the math. BERT-base's backward
   * over 32 SST-2 sentences at once peaked at 4.6 GB resident; chunks of 8 of similar length
   * also pad less.
   */
  static final int EXAMPLES_PER_FORWARD = 8;

  private final PezHyperparameters hp;
  private final DifferentiableLm lm;
  private final PezTask task;
  /** Token ids a prompt row may project onto: the vocabulary minus special tokens. */
  private final int[] candidates;
  private final NDManager manager;
  /** E[candidates] with unit rows, {@code [V′, d]}: cos(P_i, E_v) up to ‖P_i‖. */
  private final NDArray unitE;
  private final List<Batch> batches;
  /** The L masked copies of the prompt for NLL(prompt), or null when w = 0. */
  private final Batch fluency;
  private final int d;
  /** The continuous prompt P, {@code [L·d]} row-major. */
  private final float[] p;
  /** AdamW's first and second moments of P. */
  private final float[] m;
  private final float[] v;
  private long step;
  private long nextSampleId = 1;

  /**
   * A chunk of the training examples as constant arrays, padded to its longest: their word
   * embeddings with the prompt slots zeroed
   * ({@code x0 · keep}), the one-hot map of slots to prompt rows ({@code select}, so that the
   * model input is {@code x0·keep + select·P′}), the attention mask, the mask positions, the
   * verbalizer ids and one-hot labels.
   */
  private record Batch(NDArray x0, NDArray keep, NDArray select, NDArray attention,
      NDArray positions, NDArray verbalizers, NDArray target) {}

  /**
   * A fresh PEZ prompt.
   *
   * @param hp its settings (L, AdamW, seed)
   * @param lm the frozen task model (not closed by this policy)
   * @param task the training examples around L prompt slots
   * @param specialIds token ids that are no prompt token
   * @param parent the manager this policy's arrays live under (the model's device)
   */
  public Pez(PezHyperparameters hp, DifferentiableLm lm, PezTask task, int[] specialIds,
      NDManager parent) {
    if (task.promptLength() != hp.promptLength()) {
      throw new IllegalArgumentException("the task was split around " + task.promptLength()
          + " prompt slots, not L = " + hp.promptLength());
    }
    this.hp = hp;
    this.lm = lm;
    this.task = task;
    NDArray e = lm.wordEmbeddings();
    int vocab = (int) e.getShape().get(0);
    this.d = (int) e.getShape().get(1);
    boolean[] special = new boolean[vocab];
    for (int id : specialIds) {
      special[id] = true;
    }
    this.candidates = java.util.stream.IntStream.range(0, vocab).filter(id -> !special[id])
        .toArray();
    this.manager = parent.newSubManager();
    try {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray rows = lm.embed(manager.create(longs(candidates)));
        NDArray unit = rows.div(rows.square().sum(new int[] {1}, true).sqrt());
        NDScope.unregister(unit);
        this.unitE = unit;
      }
      this.batches = batches(task);
      this.fluency = hp.fluencyWeight() > 0 ? fluencyBatch(hp.promptLength()) : null;
      // P starts at the embeddings of L random tokens (§7.1).
      PolicyRng rng = new PolicyRng(hp.seed());
      int[] start = new int[hp.promptLength()];
      for (int j = 0; j < start.length; j++) {
        start[j] = candidates[rng.nextInt(candidates.length)];
      }
      this.p = lm.embed(manager.create(longs(start))).toFloatArray();
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
    this.m = new float[p.length];
    this.v = new float[p.length];
  }

  // ---- (1) project: P′ = E[idx], idx_i = argmax_v cos(P_i, E_v) ----

  /** The nearest vocabulary token (cosine) of every row of P. */
  int[] project() {
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray pNd = s.create(p, new Shape(hp.promptLength(), d));
      // cos(P_i, E_v) = P_i·E_v / (‖P_i‖‖E_v‖); ‖P_i‖ is the same for every v of row i.
      long[] best = pNd.matMul(unitE.transpose()).argMax(1).toLongArray();
      int[] idx = new int[best.length];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = candidates[(int) best[i]];
      }
      return idx;
    }
  }

  /**
   * The current projection as the run's one prompt (whatever {@code batchSize}; greedy or not:
   * PEZ's prompt is deterministic).
   */
  @Override
  public synchronized SampleBatch sample(int batchSize, boolean greedy) {
    int[] idx = project();
    return new SampleBatch(List.of(new SampleBatch.SampledPrompt(nextSampleId++, idx,
        new float[idx.length], new float[idx.length])), 0, 0, 0);
  }

  /**
   * One PEZ step, (1)–(5) of §7.1; {@code prompts} and their rewards are not used. The reported
   * loss is L = w·NLL(prompt) + (1−w)·L_task of the projection (L_task when w = 0).
   */
  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    int[] idx = project(); // (1)
    float[] g = new float[p.length];
    double loss = 0;
    double w = hp.fluencyWeight();
    PolicyState.AUTOGRAD.lock();
    try {
      if (fluency != null) {
        loss += w * fluencyStep(idx, g);
      }
      for (Batch batch : batches) {
        try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // P′ = E[idx], a leaf of the graph: the gradient is taken w.r.t. the projection.
          NDArray pProjected = lm.embed(s.create(longs(idx)));
          pProjected.setRequiresGradient(true);
          try (GradientCollector tape = manager.getEngine().newGradientCollector()) {
            // (2) forward with P′ spliced into every example: x = x0·keep + select·P′.
            NDArray x = batch.x0.mul(batch.keep).add(batch.select.matMul(pProjected));
            long rows = batch.positions.getShape().get(0);
            NDArray logits = lm.tokenLogitsAt(x, batch.attention, batch.positions,
                batch.verbalizers).reshape(rows, task.classes());
            // (3) L_task = −(1/N) Σ_e log softmax(verbalizer logits_e)[y_e], this chunk's terms.
            NDArray lTask = logits.logSoftmax(1).mul(batch.target).sum().neg().div(task.size());
            // (4) ∂L/∂P′, summed over the chunks (and the fluency term's, weighted 1 − w).
            tape.backward(w > 0 ? lTask.mul(1 - w) : lTask);
            loss += (1 - w) * lTask.getFloat();
          }
          float[] chunk = pProjected.getGradient().toFloatArray();
          for (int i = 0; i < g.length; i++) {
            g[i] += chunk[i];
          }
        }
      }
    } finally {
      PolicyState.AUTOGRAD.unlock();
    }
    double gradNorm = adamW(g); // (5), on P
    return new UpdateResult(step, true, loss, gradNorm, 0, 0, 0);
  }

  /**
   * Adds w·∂NLL/∂P′ to {@code g} and returns NLL(prompt) = −(1/L) Σ_t log p(idx_t | P′ with row
   * t masked), the masked LM's pseudo-log-likelihood per token. Runs under the AUTOGRAD lock.
   */
  private double fluencyStep(int[] idx, float[] g) {
    int l = hp.promptLength();
    long[] targets = new long[l];
    for (int t = 0; t < l; t++) {
      targets[t] = idx[t];
    }
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray pProjected = lm.embed(s.create(longs(idx)));
      pProjected.setRequiresGradient(true);
      double nll;
      try (GradientCollector tape = manager.getEngine().newGradientCollector()) {
        // Copy t: [CLS] P′_0 … [MASK] … P′_{L−1} [SEP], [MASK] at row t.
        NDArray x = fluency.x0.mul(fluency.keep).add(fluency.select.matMul(pProjected));
        NDArray logits = lm.vocabularyLogitsAt(x, fluency.attention, fluency.positions)
            .reshape(l, -1);
        NDArray target = s.create(targets).oneHot((int) logits.getShape().get(1));
        NDArray lFluency = logits.logSoftmax(1).mul(target).sum().neg().div(l);
        tape.backward(lFluency.mul(hp.fluencyWeight()));
        nll = lFluency.getFloat();
      }
      float[] grad = pProjected.getGradient().toFloatArray();
      for (int i = 0; i < g.length; i++) {
        g[i] += grad[i];
      }
      return nll;
    }
  }

  /**
   * The L copies of {@code [CLS] P′ [SEP]} with row t of copy t masked, as a {@link Batch} (no
   * verbalizers or target: the targets are the projection's ids, known at each step).
   */
  private Batch fluencyBatch(int l) {
    int n = l + 2;
    long[] ids = new long[l * n];
    float[] keep = new float[l * n];
    float[] select = new float[l * n * l];
    long[] positions = new long[l];
    for (int t = 0; t < l; t++) {
      ids[t * n] = task.cls();
      keep[t * n] = 1;
      ids[t * n + n - 1] = task.sep();
      keep[t * n + n - 1] = 1;
      for (int j = 0; j < l; j++) {
        if (j == t) {
          ids[t * n + 1 + j] = task.mask();
          keep[t * n + 1 + j] = 1;
        } else {
          select[(t * n + 1 + j) * l + j] = 1;
        }
      }
      positions[t] = 1 + t;
    }
    long[] attention = new long[l * n];
    Arrays.fill(attention, 1);
    return new Batch(lm.embed(manager.create(ids, new Shape(l, n))),
        manager.create(keep, new Shape(l, n, 1)), manager.create(select, new Shape(l, n, l)),
        manager.create(attention, new Shape(l, n)), manager.create(positions, new Shape(l, 1)),
        null, null);
  }

  // ---- (5) AdamW on P with ∂L/∂P′ ----

  /**
   * One step of torch.optim.AdamW: P ← P − lr·wd·P, then P ← P − lr·m̂/(√v̂ + ε).
   *
   * @return the gradient's L2 norm
   */
  private double adamW(float[] g) {
    step++;
    double lr = hp.learningRate();
    double b1 = PezHyperparameters.BETA1;
    double b2 = PezHyperparameters.BETA2;
    double bias1 = 1 - Math.pow(b1, step);
    double bias2 = 1 - Math.pow(b2, step);
    double norm = 0;
    for (int i = 0; i < p.length; i++) {
      norm += (double) g[i] * g[i];
      p[i] *= (float) (1 - lr * hp.weightDecay());
      m[i] = (float) (b1 * m[i] + (1 - b1) * g[i]);
      v[i] = (float) (b2 * v[i] + (1 - b2) * g[i] * g[i]);
      double denominator = Math.sqrt(v[i]) / Math.sqrt(bias2) + PezHyperparameters.EPSILON;
      p[i] -= (float) (lr / bias1 * m[i] / denominator);
    }
    return Math.sqrt(norm);
  }

  // ---- the examples as arrays ----

  /** The examples in chunks of {@link #EXAMPLES_PER_FORWARD}, shortest first. */
  private List<Batch> batches(PezTask t) {
    Integer[] order = new Integer[t.size()];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
    }
    Arrays.sort(order, java.util.Comparator.comparingInt(e -> t.inputs().get(e).length));
    List<Batch> out = new java.util.ArrayList<>();
    for (int from = 0; from < order.length; from += EXAMPLES_PER_FORWARD) {
      out.add(batch(t, Arrays.copyOfRange(order, from,
          Math.min(order.length, from + EXAMPLES_PER_FORWARD))));
    }
    return List.copyOf(out);
  }

  private Batch batch(PezTask t, Integer[] examples) {
    int b = examples.length;
    int n = Arrays.stream(examples).mapToInt(e -> t.inputs().get(e).length).max().orElseThrow();
    int l = t.promptLength();
    long[] ids = new long[b * n];
    long[] attention = new long[b * n];
    float[] keep = new float[b * n];
    float[] select = new float[b * n * l];
    long[] positions = new long[b];
    float[] target = new float[b * t.classes()];
    Arrays.fill(ids, t.pad());
    for (int r = 0; r < b; r++) {
      int e = examples[r];
      int[] in = t.inputs().get(e);
      for (int i = 0; i < in.length; i++) {
        ids[r * n + i] = in[i];
        attention[r * n + i] = 1;
        keep[r * n + i] = 1;
      }
      int[] slots = t.slots().get(e);
      for (int j = 0; j < slots.length; j++) {
        keep[r * n + slots[j]] = 0;
        select[(r * n + slots[j]) * l + j % l] = 1;
      }
      positions[r] = t.maskPositions()[e];
      target[r * t.classes() + t.labels()[e]] = 1;
    }
    return new Batch(
        lm.embed(manager.create(ids, new Shape(b, n))),
        manager.create(keep, new Shape(b, n, 1)),
        manager.create(select, new Shape(b, n, l)),
        manager.create(attention, new Shape(b, n)),
        manager.create(positions, new Shape(b, 1)),
        manager.create(longs(t.verbalizerIds())),
        manager.create(target, new Shape(b, t.classes())));
  }

  private static long[] longs(int[] ids) {
    return Arrays.stream(ids).asLongStream().toArray();
  }

  // ---- what the service reports ----

  /** Its settings. */
  public PezHyperparameters settings() {
    return hp;
  }

  /** The continuous prompt P, {@code [L·d]} row-major (a copy). */
  public synchronized float[] continuousPrompt() {
    return p.clone();
  }

  @Override
  public synchronized long step() {
    return step;
  }

  @Override
  public int replaySize() {
    return 0;
  }

  @Override
  public int actionSpaceSize() {
    return candidates.length;
  }

  @Override
  public long trainableParameters() {
    return (long) hp.promptLength() * d;
  }

  // ---- checkpoints: P, AdamW's moments and step, the sample-id counter ----

  @Override
  public synchronized void save(OutputStream out) throws IOException {
    DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(out));
    o.writeInt(MAGIC);
    o.writeInt(VERSION);
    o.writeInt(hp.promptLength());
    o.writeInt(d);
    o.writeLong(step);
    o.writeLong(nextSampleId);
    for (float[] a : new float[][] {p, m, v}) {
      for (float f : a) {
        o.writeFloat(f);
      }
    }
    o.flush();
  }

  @Override
  public synchronized void load(InputStream in) throws IOException {
    DataInputStream i = new DataInputStream(new java.io.BufferedInputStream(in));
    if (i.readInt() != MAGIC || i.readInt() != VERSION) {
      throw new IOException("not a PEZ checkpoint of version " + VERSION);
    }
    int l = i.readInt();
    int width = i.readInt();
    if (l != hp.promptLength() || width != d) {
      throw new IOException("the checkpoint holds a " + l + "×" + width + " prompt; this run's is "
          + hp.promptLength() + "×" + d);
    }
    step = i.readLong();
    nextSampleId = i.readLong();
    for (float[] a : new float[][] {p, m, v}) {
      for (int k = 0; k < a.length; k++) {
        a[k] = i.readFloat();
      }
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
