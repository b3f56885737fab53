package dev.pin.reward.task;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.classification.ClassificationReward;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.util.List;
import java.util.Locale;

/**
 * The canonical form of a task spec, which is what is hashed and stored: defaults written out (so
 * an explicit default and an omitted field give the same handle) and the orchestrator-only {@code
 * data} sources dropped (examples are inline; two orchestrators reading the same data from
 * different paths must get the same handle). The reward service owns the task's defaults: they
 * depend on the real task model, which only it reads.
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

  /** {@link #canonicalize(TaskSpec, boolean, boolean)} for a cased task model. */
  public static TaskSpec canonicalize(TaskSpec spec, boolean maskedTaskModel) {
    return canonicalize(spec, maskedTaskModel, false);
  }

  /**
   * Canonicalises a spec.
   *
   * @param spec the spec as registered
   * @param maskedTaskModel for classification, whether the task model is a masked LM (decides the
   *     default template, §6.1); ignored for other kinds
   * @param uncasedTaskModel for classification, whether the task model's tokenizer lowercases (the
   *     verbalizers are then written lowercase, §6.1); ignored for other kinds
   * @return the canonical spec
   */
  public static TaskSpec canonicalize(
      TaskSpec spec, boolean maskedTaskModel, boolean uncasedTaskModel) {
    TaskSpec.Builder b = spec.toBuilder();
    switch (spec.getTaskCase()) {
      case CLASSIFICATION -> {
        ClassificationTask.Builder c = b.getClassificationBuilder().clearData();
        if (uncasedTaskModel) {
          List<String> lower =
              c.getVerbalizersList().stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
          c.clearVerbalizers().addAllVerbalizers(lower);
        }
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
   * A canonical spec's settings without its bulk (inline examples and images): what RegisterTask
   * reports as the effective task, and the orchestrator stores beside its own data source.
   *
   * @param canonical a canonical spec
   * @return the spec without examples
   */
  public static TaskSpec withoutExamples(TaskSpec canonical) {
    TaskSpec.Builder b = canonical.toBuilder();
    switch (canonical.getTaskCase()) {
      case CLASSIFICATION -> b.getClassificationBuilder().clearTrain().clearDev().clearTest();
      case STYLE_TRANSFER -> b.getStyleTransferBuilder().clearTrain().clearDev().clearTest();
      case IMAGE_INVERSION -> b.getImageInversionBuilder().clearTargets();
      case CUSTOM -> b.getCustomBuilder().clearTrain().clearDev().clearTest();
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
