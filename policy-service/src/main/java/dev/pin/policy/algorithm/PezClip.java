package dev.pin.policy.algorithm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;

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
 * vocabulary (the service refuses {@code fluency_weight} > 0). Steps (1) and (5), P's
 * initialisation and the checkpoint are {@link ContinuousPromptPolicy}'s, shared with the LM
 * variant.
 */
public final class PezClip extends ContinuousPromptPolicy {
  private final DifferentiableTextTower text;
  /** The target images' embeddings with unit rows, {@code [m, projection]}. */
  private final NDArray unitImages;
  /** E[<|startoftext|>] and E[<|endoftext|>], {@code [1, d]} each: the frame of the prompt. */
  private final NDArray start;
  private final NDArray end;
  /** All ones {@code [1, L + 2]}: one unpadded sequence. */
  private final NDArray attention;
  /** {@code [L + 1]}: the end-of-text position, where the tower pools. */
  private final NDArray eot;

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
    super(invertible(hp, text, targets), text.tokenEmbeddings(), text::embed,
        withFrame(specialIds, startId, endId), parent);
    this.text = text;
    int l = hp.promptLength();
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
        NDArray images = manager.create(flat, new Shape(targets.length, width));
        NDArray unitImg = images.div(images.norm(new int[] {1}, true));
        NDScope.unregister(unitImg);
        this.unitImages = unitImg;
      }
      this.start = text.embed(manager.create(new long[] {startId}));
      this.end = text.embed(manager.create(new long[] {endId}));
      long[] ones = new long[l + 2];
      Arrays.fill(ones, 1);
      this.attention = manager.create(ones, new Shape(1, l + 2));
      this.eot = manager.create(new long[] {l + 1});
    } catch (RuntimeException ex) {
      close();
      throw ex;
    }
  }

  /** {@code hp}, once it is known to be PEZ's image inversion with targets and room for L. */
  private static PezHyperparameters invertible(PezHyperparameters hp,
      DifferentiableTextTower text, float[][] targets) {
    if (!hp.project() || hp.fluencyWeight() != 0) {
      throw new IllegalArgumentException("PEZ's image inversion projects its prompt and has no "
          + "fluency term");
    }
    if (targets.length == 0) {
      throw new IllegalArgumentException("no target images");
    }
    if (hp.promptLength() + 2 > text.maxInputTokens()) {
      throw new IllegalArgumentException("L = " + hp.promptLength() + " prompt tokens and the two "
          + "specials are more than the text tower's " + text.maxInputTokens() + " positions");
    }
    return hp;
  }

  /** The special ids and the frame's start and end tokens: none of them is a prompt token. */
  private static int[] withFrame(int[] specialIds, int startId, int endId) {
    int[] out = Arrays.copyOf(specialIds, specialIds.length + 2);
    out[specialIds.length] = startId;
    out[specialIds.length + 1] = endId;
    return out;
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
    // (5) AdamW on P with the gradient of the forwarded prompt.
    double gradNorm = applyGradient(g);
    return new UpdateResult(step(), true, loss, gradNorm, 0, 0, 0, Double.NaN);
  }
}
