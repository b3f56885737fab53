package dev.pin.policy.algorithm;

import dev.pin.v1.PezConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.SoftPromptConfig;
import dev.pin.v1.TaskType;

/**
 * Every setting of a continuous-prompt run, immutable: PEZ (ALGORITHMS.md §7.1), or a soft
 * prompt (Lester et al. 2021, prompt tuning: the same prompt, loss and AdamW with no projection),
 * with §7.1's defaults. Build it from the wire with {@link #fromProto} (unset fields take the
 * default of the task: the LM variant for classification, the CLIP one for image inversion; a soft
 * prompt takes the LM variant's, so that it differs from PEZ in the projection alone) and log
 * {@link #toString()} at the start of a run. AdamW's β and ε are torch.optim.AdamW's defaults and
 * not settings.
 *
 * @param promptLength L, prompt rows (10 for LMs, 16 for CLIP)
 * @param learningRate AdamW learning rate (0.3 for LMs, 0.1 for CLIP)
 * @param weightDecay AdamW's decoupled weight decay (0.1)
 * @param fluencyWeight w in L = w·NLL(prompt) + (1−w)·L_task (0: the task loss alone; always 0
 *     for a soft prompt, which has no discrete prompt to score)
 * @param seed picks the L random tokens P starts from
 * @param project true for PEZ (each step forwards the nearest-token projection P′), false for a
 *     soft prompt (each step forwards P itself)
 */
public record PezHyperparameters(int promptLength, double learningRate, double weightDecay,
    double fluencyWeight, long seed, boolean project) {

  /** AdamW β1 (torch's default). */
  public static final double BETA1 = 0.9;
  /** AdamW β2 (torch's default). */
  public static final double BETA2 = 0.999;
  /** AdamW ε (torch's default). */
  public static final double EPSILON = 1e-8;

  /** PEZ's settings (projected). */
  public PezHyperparameters(int promptLength, double learningRate, double weightDecay,
      double fluencyWeight, long seed) {
    this(promptLength, learningRate, weightDecay, fluencyWeight, seed, true);
  }

  /** A soft prompt's settings (no projection, no fluency term). */
  public static PezHyperparameters softPrompt(int promptLength, double learningRate,
      double weightDecay, long seed) {
    return new PezHyperparameters(promptLength, learningRate, weightDecay, 0, seed, false);
  }

  /** Whether {@code c} asks for a continuous prompt (PEZ or a soft prompt), not an RL policy. */
  public static boolean continuous(PolicyConfig c) {
    return c.hasPez() || c.hasSoftPrompt();
  }

  /**
   * Reads {@code c.pez} or {@code c.soft_prompt}; unset fields take §7.1's defaults for
   * {@code task}.
   */
  public static PezHyperparameters fromProto(PolicyConfig c, TaskType task) {
    if (c.hasSoftPrompt()) {
      SoftPromptConfig s = c.getSoftPrompt();
      return softPrompt(
          s.hasPromptLength() ? s.getPromptLength() : 10,
          s.hasLearningRate() ? shortest(s.getLearningRate()) : 0.3,
          s.hasWeightDecay() ? shortest(s.getWeightDecay()) : 0.1,
          c.getSeed());
    }
    boolean clip = task == TaskType.TASK_TYPE_IMAGE_INVERSION;
    PezConfig p = c.getPez();
    return new PezHyperparameters(
        p.hasPromptLength() ? p.getPromptLength() : clip ? 16 : 10,
        p.hasLearningRate() ? shortest(p.getLearningRate()) : clip ? 0.1 : 0.3,
        p.hasWeightDecay() ? shortest(p.getWeightDecay()) : 0.1,
        p.hasFluencyWeight() ? shortest(p.getFluencyWeight()) : 0,
        c.getSeed());
  }

  /**
   * The effective wire config of a PEZ or soft-prompt request, every default filled in: {@code
   * pez} (or {@code soft_prompt}) with all its fields set and {@code prompt_length} = L, so
   * PolicyInfo shows T as for the RL methods. Backbone, device, task type and seed are the
   * request's.
   */
  public static PolicyConfig effective(PolicyConfig requested) {
    PezHyperparameters hp = fromProto(requested, requested.getTaskType());
    PolicyConfig.Builder b = PolicyConfig.newBuilder()
        .setBackbone(requested.getBackbone())
        .setDevice(requested.getDevice())
        .setTaskType(requested.getTaskType())
        .setSeed(requested.getSeed())
        .setPromptLength(hp.promptLength());
    if (!hp.project()) {
      return b.setSoftPrompt(SoftPromptConfig.newBuilder()
          .setPromptLength(hp.promptLength())
          .setLearningRate((float) hp.learningRate())
          .setWeightDecay((float) hp.weightDecay())).build();
    }
    return b.setPez(PezConfig.newBuilder()
            .setPromptLength(hp.promptLength())
            .setLearningRate((float) hp.learningRate())
            .setWeightDecay((float) hp.weightDecay())
            .setFluencyWeight((float) hp.fluencyWeight()))
        .build();
  }

  /** "PEZ (§7.1)" or "a soft prompt (prompt tuning)", for messages. */
  public String method() {
    return project ? "PEZ (§7.1)" : "a soft prompt (prompt tuning)";
  }

  private static double shortest(float value) {
    // The float's shortest decimal form, so 0.3f reads as 0.3 and configs round-trip exactly.
    return Double.parseDouble(Float.toString(value));
  }
}
