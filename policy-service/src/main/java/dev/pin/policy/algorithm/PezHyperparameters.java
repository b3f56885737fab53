package dev.pin.policy.algorithm;

import dev.pin.v1.PezConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.TaskType;

/**
 * Every setting of a PEZ run (ALGORITHMS.md §7.1), immutable, with §7.1's defaults. Build it from
 * the wire with {@link #fromProto} (unset fields take the default of the task: the LM variant for
 * classification, the CLIP one for image inversion) and log {@link #toString()} at the start of a
 * run. AdamW's β and ε are torch.optim.AdamW's defaults and not settings.
 *
 * @param promptLength L, prompt rows (10 for LMs, 16 for CLIP)
 * @param learningRate AdamW learning rate (0.3 for LMs, 0.1 for CLIP)
 * @param weightDecay AdamW's decoupled weight decay (0.1)
 * @param fluencyWeight w in L = w·NLL(prompt) + (1−w)·L_task (0: the task loss alone)
 * @param seed picks the L random tokens P starts from
 */
public record PezHyperparameters(int promptLength, double learningRate, double weightDecay,
    double fluencyWeight, long seed) {

  /** AdamW β1 (torch's default). */
  public static final double BETA1 = 0.9;
  /** AdamW β2 (torch's default). */
  public static final double BETA2 = 0.999;
  /** AdamW ε (torch's default). */
  public static final double EPSILON = 1e-8;

  /** Reads {@code c.pez}; unset fields take §7.1's defaults for {@code task}. */
  public static PezHyperparameters fromProto(PolicyConfig c, TaskType task) {
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
   * The effective wire config of a PEZ request, every default filled in: {@code pez} with all four
   * fields set and {@code prompt_length} = L, so PolicyInfo shows T as for the RL methods.
   * Backbone, device, task type and seed are the request's.
   */
  public static PolicyConfig effective(PolicyConfig requested) {
    PezHyperparameters hp = fromProto(requested, requested.getTaskType());
    return PolicyConfig.newBuilder()
        .setBackbone(requested.getBackbone())
        .setDevice(requested.getDevice())
        .setTaskType(requested.getTaskType())
        .setSeed(requested.getSeed())
        .setPromptLength(hp.promptLength())
        .setPez(PezConfig.newBuilder()
            .setPromptLength(hp.promptLength())
            .setLearningRate((float) hp.learningRate())
            .setWeightDecay((float) hp.weightDecay())
            .setFluencyWeight((float) hp.fluencyWeight()))
        .build();
  }

  private static double shortest(float value) {
    // The float's shortest decimal form, so 0.3f reads as 0.3 and configs round-trip exactly.
    return Double.parseDouble(Float.toString(value));
  }
}
