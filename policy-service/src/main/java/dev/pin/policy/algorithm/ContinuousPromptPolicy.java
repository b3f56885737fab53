package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.pin.policy.qnet.Adam;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * What the PEZ variants ({@link Pez}, {@link PezClip}) and soft prompts share (ALGORITHMS.md
 * §7.1): the continuous prompt P ∈ ℝ^{L×d}, initialised from the embeddings of L random tokens;
 * step (1), its nearest-token projection, which {@link #sample} hands out as the run's prompt;
 * step (5), AdamW on P with the gradient a subclass's {@code update} took in steps (2)–(4); and the
 * checkpoint of both ({@link PezCheckpoint}). AdamW is {@link Adam} with decoupled weight decay
 * (torch.optim.AdamW: β = 0.9, 0.999, ε = 1e-8, no gradient clipping).
 */
public abstract class ContinuousPromptPolicy implements PromptPolicy {
  /** Its settings (L, AdamW, seed; projected or soft; fluency weight). */
  protected final PezHyperparameters hp;
  /** The manager of the policy's arrays, a sub-manager of the model's; freed by {@link #close}. */
  protected final NDManager manager;
  /** The embedding width d (a row of P). */
  protected final int d;
  /** The continuous prompt P, {@code [L, d]}. */
  protected final NDArray p;
  /** Token ids a prompt row may project onto: the vocabulary minus the excluded ids. */
  private final int[] candidates;
  /** E[candidates] with unit rows, {@code [V′, d]}: cos(P_i, E_v) up to ‖P_i‖. */
  private final NDArray unitE;
  /** AdamW on P; its step count is the policy's. */
  private final Adam adamW;
  private long nextSampleId = 1;

  /**
   * @param embeddings the model's token-embedding matrix E {@code [vocab, d]}
   * @param embed the model's lookup of E's rows for int64 token ids
   * @param excludedIds token ids that are no prompt token (special tokens)
   * @param parent the manager this policy's arrays live under (the model's device)
   */
  protected ContinuousPromptPolicy(PezHyperparameters hp, NDArray embeddings,
      UnaryOperator<NDArray> embed, int[] excludedIds, NDManager parent) {
    this.hp = hp;
    int vocab = (int) embeddings.getShape().get(0);
    this.d = (int) embeddings.getShape().get(1);
    boolean[] excluded = new boolean[vocab];
    for (int id : excludedIds) {
      excluded[id] = true;
    }
    this.candidates = IntStream.range(0, vocab).filter(id -> !excluded[id]).toArray();
    this.manager = parent.newSubManager();
    try {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray rows = embed.apply(manager.create(longs(candidates)));
        NDArray unit = rows.div(rows.square().sum(new int[] {1}, true).sqrt());
        NDScope.unregister(unit);
        this.unitE = unit;
      }
      // P starts at the embeddings of L random tokens (§7.1).
      PolicyRng rng = new PolicyRng(hp.seed());
      int[] start = new int[hp.promptLength()];
      for (int j = 0; j < start.length; j++) {
        start[j] = candidates[rng.nextInt(candidates.length)];
      }
      NDArray startRows = embed.apply(manager.create(longs(start)));
      this.p = startRows.duplicate();
      startRows.close();
      this.adamW = new Adam(manager, List.of(p), hp.learningRate(), PezHyperparameters.BETA1,
          PezHyperparameters.BETA2, PezHyperparameters.EPSILON, 0, hp.weightDecay());
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  // ---- (1) project: P′ = E[idx], idx_i = argmax_v cos(P_i, E_v) ----

  /** The nearest vocabulary token (cosine) of every row of P. */
  int[] project() {
    return project(p);
  }

  /** The nearest vocabulary token (cosine) of every row of {@code rows} {@code [L, d]}. */
  protected int[] project(NDArray rows) {
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // cos(P_i, E_v) = P_i·E_v / (‖P_i‖‖E_v‖); ‖P_i‖ is the same for every v of row i.
      long[] best = rows.matMul(unitE.transpose()).argMax(1).toLongArray();
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

  // ---- (5) AdamW on P ----

  /**
   * Applies ∂L/∂P′ (row-major {@code [L·d]}), the gradient of the prompt that was forwarded, to
   * P; returns its L2 norm.
   */
  protected double applyGradient(float[] gradient) {
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      return adamW.step(List.of(p), List.of(s.create(gradient, p.getShape())));
    }
  }

  static long[] longs(int[] ids) {
    return Arrays.stream(ids).asLongStream().toArray();
  }

  // ---- what the service reports ----

  /** Its settings. */
  public PezHyperparameters settings() {
    return hp;
  }

  /** The continuous prompt P, {@code [L·d]} row-major (a copy). */
  public synchronized float[] continuousPrompt() {
    return p.toFloatArray();
  }

  /** The embedding width d (a row of P). */
  public int width() {
    return d;
  }

  @Override
  public synchronized long step() {
    return adamW.steps();
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

  // ---- checkpoints: P, AdamW's moments and step, the sample-id counter (PezCheckpoint) ----

  @Override
  public synchronized void save(OutputStream out) throws IOException {
    PezCheckpoint.save(out, p, adamW, nextSampleId);
  }

  @Override
  public synchronized void load(InputStream in) throws IOException {
    nextSampleId = PezCheckpoint.load(in, p, adamW);
  }

  @Override
  public void close() {
    manager.close();
  }
}
