package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.pin.policy.qnet.Adam;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * PEZ, hard prompts made easy (Wen et al., NeurIPS 2023; ALGORITHMS.md §7.1), the CLIP variant:
 * image inversion through a frozen CLIP text tower. The trainable state is a continuous prompt
 * P ∈ ℝ^{L×d} in the space of CLIP's token embeddings, initialised from the embeddings of L
 * random tokens. Each {@link #update} is one step of §7.1, in its order: (1) project every row of
 * P to the token embedding of highest cosine similarity, P′ = E[idx]; (2) forward the text tower
 * on {@code <|startoftext|> P′ <|endoftext|>} (P′ spliced in as input embeddings, pooled at the
 * end-of-text token); (3) the loss 1 − mean_j cos(img_j, text(P′)) over the task's target images;
 * (4) its gradient w.r.t. the <em>projected</em> P′, applied to P; (5) AdamW. Step (6), keeping
 * the best decoded prompt, is the orchestrator's, as for the LM variant ({@link Pez}): {@link
 * #sample} hands out the current projection idx, which the reward service scores (its CLIP score,
 * §6.3) and the run keeps when it is the best. Rewards sent to {@link #update} are not used.
 *
 * <p>The target embeddings are given (the policy service embeds the task's images with the same
 * CLIP's ONNX vision tower and the reward service's preprocessing); they are normalised here. The
 * projection's candidates are the vocabulary minus the special tokens, so the end-of-text token,
 * which has CLIP's largest id, is where the tower pools under either of HF's pooling rules. No
 * fluency term: CLIP's text tower is no language model, so there is no NLL(prompt) on its
 * vocabulary (the service refuses {@code fluency_weight} > 0). AdamW is {@link Adam} with
 * decoupled weight decay (torch.optim.AdamW: β = 0.9, 0.999, ε = 1e-8, no gradient clipping), its
 * moments checkpointed with P in {@link PezCheckpoint}'s format.
 */
public final class PezClip implements PromptPolicy {
  private final PezHyperparameters hp;
  private final DifferentiableTextTower text;
  /** Token ids a prompt row may project onto: the vocabulary minus special tokens. */
  private final int[] candidates;
  private final NDManager manager;
  /** E[candidates] with unit rows, {@code [V′, d]}: cos(P_i, E_v) up to ‖P_i‖. */
  private final NDArray unitE;
  /** The target images' embeddings with unit rows, {@code [m, projection]}. */
  private final NDArray unitImages;
  /** E[<|startoftext|>] and E[<|endoftext|>], {@code [1, d]} each: the frame of the prompt. */
  private final NDArray start;
  private final NDArray end;
  /** All ones {@code [1, L + 2]}: one unpadded sequence. */
  private final NDArray attention;
  /** {@code [L + 1]}: the end-of-text position, where the tower pools. */
  private final NDArray eot;
  private final int d;
  /** The continuous prompt P, {@code [L, d]}. */
  private final NDArray p;
  /** AdamW on P; its step count is the policy's. */
  private final Adam adamW;
  private long nextSampleId = 1;

  /**
   * A fresh PEZ prompt for image inversion.
   *
   * @param hp its settings (L, AdamW, seed); projected, no fluency term
   * @param text the frozen CLIP text tower in float32 (not closed by this policy)
   * @param targets the target images' CLIP embeddings {@code [m][projection]}, at least one
   * @param startId {@code <|startoftext|>}
   * @param endId {@code <|endoftext|>}
   * @param specialIds token ids that are no prompt token
   * @param parent the manager this policy's arrays live under (the model's device)
   * @throws IllegalArgumentException for a soft prompt, a fluency weight, no targets, targets of
   *     the wrong width or a prompt longer than the tower's context
   */
  public PezClip(PezHyperparameters hp, DifferentiableTextTower text, float[][] targets,
      int startId, int endId, int[] specialIds, NDManager parent) {
    if (!hp.project() || hp.fluencyWeight() != 0) {
      throw new IllegalArgumentException("PEZ's image inversion projects its prompt and has no "
          + "fluency term");
    }
    if (targets.length == 0) {
      throw new IllegalArgumentException("no target images");
    }
    int l = hp.promptLength();
    if (l + 2 > text.maxInputTokens()) {
      throw new IllegalArgumentException("L = " + l + " prompt tokens and the two specials are "
          + "more than the text tower's " + text.maxInputTokens() + " positions");
    }
    this.hp = hp;
    this.text = text;
    NDArray e = text.tokenEmbeddings();
    int vocab = (int) e.getShape().get(0);
    this.d = (int) e.getShape().get(1);
    boolean[] special = new boolean[vocab];
    for (int id : specialIds) {
      special[id] = true;
    }
    special[startId] = true;
    special[endId] = true;
    this.candidates = IntStream.range(0, vocab).filter(id -> !special[id]).toArray();
    this.manager = parent.newSubManager();
    try {
      int width = targets[0].length;
      float[] flat = new float[targets.length * width];
      for (int j = 0; j < targets.length; j++) {
        if (targets[j].length != width) {
          throw new IllegalArgumentException("target " + j + " has " + targets[j].length
              + " values, target 0 has " + width);
        }
        System.arraycopy(targets[j], 0, flat, j * width, width);
      }
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray rows = text.embed(manager.create(longs(candidates)));
        NDArray unit = rows.div(rows.norm(new int[] {1}, true));
        NDArray images = manager.create(flat, new Shape(targets.length, width));
        NDArray unitImg = images.div(images.norm(new int[] {1}, true));
        NDScope.unregister(unit, unitImg);
        this.unitE = unit;
        this.unitImages = unitImg;
      }
      this.start = text.embed(manager.create(new long[] {startId}));
      this.end = text.embed(manager.create(new long[] {endId}));
      long[] ones = new long[l + 2];
      Arrays.fill(ones, 1);
      this.attention = manager.create(ones, new Shape(1, l + 2));
      this.eot = manager.create(new long[] {l + 1});
      // P starts at the embeddings of L random tokens (§7.1).
      PolicyRng rng = new PolicyRng(hp.seed());
      int[] first = new int[l];
      for (int j = 0; j < l; j++) {
        first[j] = candidates[rng.nextInt(candidates.length)];
      }
      NDArray startRows = text.embed(manager.create(longs(first)));
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
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // cos(P_i, E_v) = P_i·E_v / (‖P_i‖‖E_v‖); ‖P_i‖ is the same for every v of row i.
      long[] best = p.matMul(unitE.transpose()).argMax(1).toLongArray();
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
   * loss is 1 − mean_j cos(img_j, text(P′)) of the forwarded projection, before the step's AdamW
   * update (so 1 − loss is that prompt's CLIP score in the float32 PyTorch tower).
   */
  @Override
  public synchronized UpdateResult update(List<RewardedTokens> prompts) {
    int[] idx = project(); // (1)
    double loss;
    float[] g;
    PolicyState.AUTOGRAD.lock();
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // P′ = E[idx] as a leaf of the graph: the gradient is taken w.r.t. the projected prompt.
      NDArray forwarded = text.embed(s.create(longs(idx)));
      forwarded.setRequiresGradient(true);
      try (GradientCollector tape = manager.getEngine().newGradientCollector()) {
        // (2) text(P′): <|startoftext|> P′ <|endoftext|>, pooled at the end-of-text token.
        NDArray x = NDArrays.concat(new NDList(start, forwarded, end), 0).expandDims(0);
        NDArray t = text.textEmbeds(x, attention, eot);
        NDArray unitT = t.div(t.norm(new int[] {1}, true));
        // (3) L = 1 − mean_j cos(img_j, text(P′)).
        NDArray l = unitT.matMul(unitImages.transpose()).mean().neg().add(1);
        // (4) ∂L/∂P′.
        tape.backward(l);
        loss = l.getFloat();
      }
      g = forwarded.getGradient().toFloatArray();
    } finally {
      PolicyState.AUTOGRAD.unlock();
    }
    double gradNorm;
    try (NDManager s = manager.newSubManager(); NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      // (5) AdamW on P with the gradient of the forwarded prompt.
      gradNorm = adamW.step(List.of(p), List.of(s.create(g, p.getShape())));
    }
    return new UpdateResult(adamW.steps(), true, loss, gradNorm, 0, 0, 0, Double.NaN);
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
