package dev.pin.reward.task;

import dev.pin.reward.classification.ClassificationReward;
import dev.pin.reward.classification.PromptTemplate;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;

/**
 * The canonical form of a task spec, which is what is hashed and stored: defaults written out (so
 * an explicit default and an omitted field give the same handle) and the orchestrator-only {@code
 * data} sources dropped (examples are inline; two orchestrators reading the same data from
 * different paths must get the same handle).
 */
public final class TaskCanonicalizer {

  /** Default style-transfer template (§6.2): the task LM continues {@code "…" "}. */
  public static final String DEFAULT_STYLE_TEMPLATE = "{prompt} \"{sentence}\" \"";

  /** Default sampling top-k for style transfer (§6.2). */
  public static final int DEFAULT_TOP_K = 10;

  /** Default samples per (prompt, input): 4 groups × 32 (§6.2). */
  public static final int DEFAULT_NUM_SAMPLES = 128;

  /** Default group size of the group-max average (§6.2). */
  public static final int DEFAULT_GROUP_SIZE = 32;

  private TaskCanonicalizer() {}

  /**
   * Canonicalises a spec.
   *
   * @param spec the spec as registered
   * @param maskedTaskModel for classification, whether the task model is a masked LM (decides the
   *     default template); ignored for other kinds
   * @return the canonical spec
   */
  public static TaskSpec canonicalize(TaskSpec spec, boolean maskedTaskModel) {
    TaskSpec.Builder b = spec.toBuilder();
    switch (spec.getTaskCase()) {
      case CLASSIFICATION -> {
        ClassificationTask.Builder c = b.getClassificationBuilder().clearData();
        if (c.getTemplate().isBlank()) {
          c.setTemplate(
              maskedTaskModel ? PromptTemplate.DEFAULT_MASKED : PromptTemplate.DEFAULT_CAUSAL);
        }
        ClassificationReward.Multipliers m =
            ClassificationReward.Multipliers.orDefault(
                c.getCorrectMultiplier(), c.getIncorrectMultiplier());
        c.setCorrectMultiplier(m.correct()).setIncorrectMultiplier(m.incorrect());
      }
      case STYLE_TRANSFER -> {
        StyleTransferTask.Builder s = b.getStyleTransferBuilder().clearData();
        if (s.getTemplate().isBlank()) {
          s.setTemplate(DEFAULT_STYLE_TEMPLATE);
        }
        s.setGeneration(withDefaults(s.getGeneration()));
      }
      case IMAGE_INVERSION -> b.getImageInversionBuilder().clearData();
      default -> {}
    }
    return b.build();
  }

  /**
   * Generation settings with defaults for unset fields (top-k 10, temperature 1, 128 samples in
   * groups of 32); max_new_tokens 0 (rule only) and seed 0 (from the run) stay as they are.
   *
   * @param g the settings as given
   * @return the settings with defaults
   */
  public static GenerationConfig withDefaults(GenerationConfig g) {
    GenerationConfig.Builder b = g.toBuilder();
    if (b.getTopK() == 0) {
      b.setTopK(DEFAULT_TOP_K);
    }
    if (b.getTemperature() == 0f) {
      b.setTemperature(1f);
    }
    if (b.getNumSamples() == 0) {
      b.setNumSamples(DEFAULT_NUM_SAMPLES);
    }
    if (b.getGroupSize() == 0) {
      b.setGroupSize(DEFAULT_GROUP_SIZE);
    }
    return b.build();
  }
}
