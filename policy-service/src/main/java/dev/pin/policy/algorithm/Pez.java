package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
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
 * <p>With {@code hp.project()} false the same class trains a <em>soft prompt</em> (Lester et al.,
 * EMNLP 2021, prompt tuning), the upper bound PEZ and the RL methods are compared against: steps
 * (2)–(5) forward and differentiate P itself, never projected. Its projection is still what
 * {@link #sample} hands out, as the prompt's readable form, and {@link #score} measures how
 * faithfully that projection drives the task model compared with P (§7.2's faithfulness), for
 * both kinds.
 *
 * <p>With a fluency weight w > 0 (PEZ only) the loss is §7.1's mix L = w·NLL(prompt) +
 * (1−w)·L_task. §7.1 takes NLL under a causal LM; the task model here is a masked LM, whose
 * embedding space P lives in, so NLL is the prompt's pseudo-log-likelihood under it (§7.3,
 * Salazar et al.), per token: −(1/L) Σ_t log p(idx_t | [CLS] P′ with row t masked [SEP]),
 * differentiated w.r.t. the other rows of P′ (the masked row's target idx_t is discrete).
 *
 * <p>The projection's candidates are the vocabulary minus the special tokens (the RL action
 * space's rule, §2). The task model's weights never require gradients; the backward pass reaches
 * the forwarded prompt only, and runs under {@link PolicyState#AUTOGRAD} (DJL's gradient collector
 * is global), over the examples in chunks whose gradients are summed ({@link
 * #EXAMPLES_PER_FORWARD}). Steps (1) and (5), P's initialisation and the checkpoint are {@link
 * ContinuousPromptPolicy}'s, shared with the CLIP variant.
 */
public final class Pez extends ContinuousPromptPolicy {
  /**
   * Examples per forward and backward: the step's gradient is the sum of the chunks' (the loss
   * is one mean over every example), so this bounds memory, not the math. BERT-base's backward
   * over 32 SST-2 sentences at once peaked at 4.6 GB resident; chunks of 8 of similar length
   * also pad less.
   */
  static final int EXAMPLES_PER_FORWARD = 8;
  /** Examples per forward when scoring, which keeps no activations for a backward pass. */
  static final int EXAMPLES_PER_SCORE = 32;

  private final DifferentiableLm lm;
  private final PezTask task;
  private final List<Batch> batches;
  /** The L masked copies of the prompt for NLL(prompt), or null when w = 0. */
  private final Batch fluency;

  /**
   * A chunk of the training examples as constant arrays, padded to its longest: their word
   * embeddings with the prompt slots zeroed
   * ({@code x0 · keep}), the one-hot map of slots to prompt rows ({@code select}, so that the
   * model input is {@code x0·keep + select·P′}), the attention mask, the mask positions, the
   * verbalizer ids and one-hot labels, and which examples of the task its rows are.
   */
  private record Batch(NDArray x0, NDArray keep, NDArray select, NDArray attention,
      NDArray positions, NDArray verbalizers, NDArray target, int[] examples) {}

  /**
   * How faithfully a continuous prompt's projection drives the task model (ALGORITHMS.md §7.2):
   * the continuous prompt P and its nearest-token projection P′ = E[idx] forwarded on the same
   * examples through the same model, each example's prediction the verbalizer of highest logit.
   *
   * @param prompt P, {@code [L·d]} row-major
   * @param projection idx, the projection's token ids
   * @param examples examples scored
   * @param continuousCorrect examples P classifies right
   * @param projectionCorrect examples P′ classifies right
   * @param agreeing examples where P and P′ predict the same class
   * @param continuousLoss mean cross-entropy of P's verbalizer logits
   * @param projectionLoss mean cross-entropy of P′'s verbalizer logits
   * @param meanRowCosine mean over the rows of cos(P_i, E[idx_i])
   */
  public record Faithfulness(float[] prompt, int[] projection, int examples,
      int continuousCorrect, int projectionCorrect, int agreeing, double continuousLoss,
      double projectionLoss, double meanRowCosine) {

    /** P's accuracy (%). */
    public double continuousScore() {
      return 100.0 * continuousCorrect / examples;
    }

    /** P′'s accuracy (%). */
    public double projectionScore() {
      return 100.0 * projectionCorrect / examples;
    }

    /** The share (0–1) of examples where P and P′ predict the same class. */
    public double agreement() {
      return (double) agreeing / examples;
    }
  }

  /**
   * A fresh PEZ prompt.
   *
   * @param hp its settings (L, AdamW, seed; projected or soft)
   * @param lm the frozen task model (not closed by this policy)
   * @param task the training examples around L prompt slots
   * @param specialIds token ids that are no prompt token
   * @param parent the manager this policy's arrays live under (the model's device)
   */
  public Pez(PezHyperparameters hp, DifferentiableLm lm, PezTask task, int[] specialIds,
      NDManager parent) {
    super(splitFor(hp, task), lm.wordEmbeddings(), lm::embed, specialIds, parent);
    this.lm = lm;
    this.task = task;
    try {
      this.batches = batches(task, EXAMPLES_PER_FORWARD, manager);
      this.fluency = hp.fluencyWeight() > 0 ? fluencyBatch(hp.promptLength()) : null;
    } catch (RuntimeException ex) {
      close();
      throw ex;
    }
  }

  /** {@code hp}, once the task is known to have been split around its L prompt slots. */
  private static PezHyperparameters splitFor(PezHyperparameters hp, PezTask task) {
    if (task.promptLength() != hp.promptLength()) {
      throw new IllegalArgumentException("the task was split around " + task.promptLength()
          + " prompt slots, not L = " + hp.promptLength());
    }
    return hp;
  }

  /**
   * One PEZ step, (1)–(5) of §7.1 (a soft prompt: (2)–(5) on P itself); {@code prompts} and their
   * rewards are not used. The reported loss is L = w·NLL(prompt) + (1−w)·L_task of the forwarded
   * prompt (L_task when w = 0), its train accuracy that prompt's on the training examples, both
   * before the step's AdamW update.
   */
  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    int[] idx = project(); // (1)
    float[] g = new float[hp.promptLength() * d];
    double loss = 0;
    int correct = 0;
    double w = hp.fluencyWeight();
    PolicyState.AUTOGRAD.lock();
    try {
      if (fluency != null) {
        loss += w * fluencyStep(idx, g);
      }
      for (Batch batch : batches) {
        try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          // PEZ: P′ = E[idx]; a soft prompt: a copy of P. A leaf of the graph either way: the
          // gradient is taken w.r.t. the prompt that was forwarded.
          NDArray forwarded = hp.project() ? lm.embed(s.create(longs(idx))) : p.duplicate();
          forwarded.setRequiresGradient(true);
          try (GradientCollector tape = manager.getEngine().newGradientCollector()) {
            // (2) forward with the prompt spliced into every example: x = x0·keep + select·P′.
            NDArray logits = logits(batch, forwarded, task.classes());
            // (3) L_task = −(1/N) Σ_e log softmax(verbalizer logits_e)[y_e], this chunk's terms.
            NDArray lTask = Scalars.dividedBy(
                logits.logSoftmax(1).mul(batch.target).sum().neg(), task.size());
            // (4) ∂L/∂P′, summed over the chunks (and the fluency term's, weighted 1 − w).
            tape.backward(w > 0 ? Scalars.times(lTask, 1 - w) : lTask);
            loss += (1 - w) * lTask.getFloat();
            correct += correct(logits.argMax(1).toLongArray(), batch, task);
          }
          float[] chunk = forwarded.getGradient().toFloatArray();
          for (int i = 0; i < g.length; i++) {
            g[i] += chunk[i];
          }
        }
      }
    } finally {
      PolicyState.AUTOGRAD.unlock();
    }
    // (5) AdamW on P with the gradient of the forwarded prompt.
    double gradNorm = applyGradient(g);
    return new UpdateResult(step(), true, loss, gradNorm, 0, 0, 0,
        100.0 * correct / task.size());
  }

  /** x = x0·keep + select·rows: {@code rows} spliced into the batch; its verbalizer logits. */
  private NDArray logits(Batch batch, NDArray rows, int classes) {
    NDArray x = batch.x0.mul(batch.keep).add(batch.select.matMul(rows));
    long n = batch.positions.getShape().get(0);
    return lm.tokenLogitsAt(x, batch.attention, batch.positions, batch.verbalizers)
        .reshape(n, classes);
  }

  /** Rows of {@code batch} whose predicted class is the example's label. */
  private static int correct(long[] predicted, Batch batch, PezTask t) {
    int correct = 0;
    for (int r = 0; r < predicted.length; r++) {
      correct += predicted[r] == t.labels()[batch.examples[r]] ? 1 : 0;
    }
    return correct;
  }

  // ---- faithfulness of the projection (§7.2) ----

  /**
   * Forwards a continuous prompt and its nearest-token projection on {@code examples} and
   * compares them: each one's accuracy and mean cross-entropy, and the share of examples where
   * both predict the same class. A forward only (nothing is learned).
   *
   * @param examples labelled examples, read by this policy's task's reader ({@code
   *     task().reader()}), e.g. the dev split
   * @param rows the continuous prompt {@code [L·d]} row-major; null for the current P
   * @throws IllegalArgumentException when {@code rows} is not L·d finite values or there are no
   *     examples
   */
  public synchronized Faithfulness score(PezTask examples, float[] rows) {
    int l = hp.promptLength();
    if (examples.size() == 0) {
      throw new IllegalArgumentException("no examples to score");
    }
    if (rows != null && rows.length != l * d) {
      throw new IllegalArgumentException("the continuous prompt holds " + rows.length
          + " values; this policy's is L × d = " + l + " × " + d);
    }
    float[] prompt = rows != null ? rows.clone() : continuousPrompt();
    for (float f : prompt) {
      if (!Float.isFinite(f)) {
        throw new IllegalArgumentException("the continuous prompt holds a non-finite value");
      }
    }
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray continuous = s.create(prompt, new Shape(l, d));
      int[] idx = project(continuous);
      NDArray projected = lm.embed(s.create(longs(idx)));
      double cosine = continuous.mul(projected).sum(new int[] {1})
          .div(continuous.norm(new int[] {1}).mul(projected.norm(new int[] {1})))
          .mean().getFloat();
      int classes = examples.classes();
      int continuousCorrect = 0;
      int projectionCorrect = 0;
      int agreeing = 0;
      double continuousLoss = 0;
      double projectionLoss = 0;
      for (Batch batch : batches(examples, EXAMPLES_PER_SCORE, s)) {
        try (NDScope chunk = new NDScope()) {
          chunk.suppressNotUsedWarning();
          NDArray a = logits(batch, continuous, classes);
          NDArray b = logits(batch, projected, classes);
          continuousLoss -= a.logSoftmax(1).mul(batch.target).sum().getFloat();
          projectionLoss -= b.logSoftmax(1).mul(batch.target).sum().getFloat();
          long[] byContinuous = a.argMax(1).toLongArray();
          long[] byProjection = b.argMax(1).toLongArray();
          continuousCorrect += correct(byContinuous, batch, examples);
          projectionCorrect += correct(byProjection, batch, examples);
          for (int r = 0; r < byContinuous.length; r++) {
            agreeing += byContinuous[r] == byProjection[r] ? 1 : 0;
          }
        }
      }
      int n = examples.size();
      return new Faithfulness(prompt, idx, n, continuousCorrect, projectionCorrect, agreeing,
          continuousLoss / n, projectionLoss / n, cosine);
    }
  }

  /** The task this policy trains on (its reader reads other examples the same way). */
  public PezTask task() {
    return task;
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
        NDArray lFluency = Scalars.dividedBy(logits.logSoftmax(1).mul(target).sum().neg(), l);
        tape.backward(Scalars.times(lFluency, hp.fluencyWeight()));
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
        null, null, null);
  }

  // ---- the examples as arrays ----

  /** The examples in chunks of {@code size}, shortest first, as arrays of {@code target}. */
  private List<Batch> batches(PezTask t, int size, NDManager target) {
    Integer[] order = new Integer[t.size()];
    for (int e = 0; e < order.length; e++) {
      order[e] = e;
    }
    Arrays.sort(order, java.util.Comparator.comparingInt(e -> t.inputs().get(e).length));
    List<Batch> out = new java.util.ArrayList<>();
    for (int from = 0; from < order.length; from += size) {
      out.add(batch(t, Arrays.copyOfRange(order, from, Math.min(order.length, from + size)),
          target));
    }
    return List.copyOf(out);
  }

  private Batch batch(PezTask t, Integer[] examples, NDManager target) {
    int b = examples.length;
    int n = Arrays.stream(examples).mapToInt(e -> t.inputs().get(e).length).max().orElseThrow();
    int l = t.promptLength();
    long[] ids = new long[b * n];
    long[] attention = new long[b * n];
    float[] keep = new float[b * n];
    float[] select = new float[b * n * l];
    long[] positions = new long[b];
    float[] labels = new float[b * t.classes()];
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
      labels[r * t.classes() + t.labels()[e]] = 1;
    }
    return new Batch(
        lm.embed(target.create(ids, new Shape(b, n))),
        target.create(keep, new Shape(b, n, 1)),
        target.create(select, new Shape(b, n, l)),
        target.create(attention, new Shape(b, n)),
        target.create(positions, new Shape(b, 1)),
        target.create(longs(t.verbalizerIds())),
        target.create(labels, new Shape(b, t.classes())),
        Arrays.stream(examples).mapToInt(Integer::intValue).toArray());
  }
}
