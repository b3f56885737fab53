package dev.pin.reward.task;

import dev.pin.models.template.PromptTemplate;
import dev.pin.reward.backend.TaskLanguageModel;
import dev.pin.reward.classification.ClassificationReward;
import dev.pin.reward.classification.ClassificationScorer;
import dev.pin.reward.classification.LogitsSource;
import dev.pin.reward.custom.RewardContext;
import dev.pin.reward.custom.RewardFunction;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.Split;
import dev.pin.v1.StyleExample;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskInfo;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.TaskType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A validated task: its handle, canonical spec and what registration resolved (verbalizer ids, the
 * task LM and its mask token, the custom reward function). Immutable.
 */
public final class RegisteredTask {

  private final String handle;
  private final TaskType type;
  private final TaskSpec spec;
  private final int[] verbalizerIds;
  private final List<String> verbalizerTokens;
  private final TaskLanguageModel taskModel;
  private final String maskToken;
  private final RewardFunction rewardFunction;

  RegisteredTask(
      String handle,
      TaskType type,
      TaskSpec spec,
      int[] verbalizerIds,
      List<String> verbalizerTokens,
      TaskLanguageModel taskModel,
      String maskToken,
      RewardFunction rewardFunction) {
    this.handle = handle;
    this.type = type;
    this.spec = spec;
    this.verbalizerIds = verbalizerIds.clone();
    this.verbalizerTokens = List.copyOf(verbalizerTokens);
    this.taskModel = taskModel;
    this.maskToken = maskToken;
    this.rewardFunction = rewardFunction;
  }

  /**
   * The content-hash handle.
   *
   * @return e.g. {@code "task-3f2a9c0d5e6b7a81"}
   */
  public String handle() {
    return handle;
  }

  /**
   * The task kind.
   *
   * @return the type
   */
  public TaskType type() {
    return type;
  }

  /**
   * The canonical spec (defaults filled in, data sources dropped).
   *
   * @return the spec
   */
  public TaskSpec spec() {
    return spec;
  }

  /**
   * Verbalizer ids in label order (classification; empty otherwise).
   *
   * @return a copy of the ids
   */
  public int[] verbalizerIds() {
    return verbalizerIds.clone();
  }

  /**
   * Verbalizer tokens as the vocabulary spells them, e.g. {@code "Ġgreat"} (classification).
   *
   * @return the tokens
   */
  public List<String> verbalizerTokens() {
    return verbalizerTokens;
  }

  /**
   * The classification task LM.
   *
   * @return the model, or empty for other kinds
   */
  public Optional<TaskLanguageModel> taskModel() {
    return Optional.ofNullable(taskModel);
  }

  /**
   * The custom reward function.
   *
   * @return the function, or empty for other kinds
   */
  public Optional<RewardFunction> rewardFunction() {
    return Optional.ofNullable(rewardFunction);
  }

  /**
   * A scorer for this classification task over the given logits source (direct or batched).
   *
   * @param source where verbalizer logits come from
   * @return the scorer
   * @throws IllegalStateException when this is not a classification task
   */
  public ClassificationScorer classificationScorer(LogitsSource source) {
    if (type != TaskType.TASK_TYPE_CLASSIFICATION) {
      throw new IllegalStateException(handle + " is not a classification task");
    }
    ClassificationTask c = spec.getClassification();
    return new ClassificationScorer(
        PromptTemplate.parse(c.getTemplate()),
        maskToken,
        verbalizerIds,
        ClassificationReward.Multipliers.orDefault(
            c.getCorrectMultiplier(), c.getIncorrectMultiplier()),
        source,
        taskModel.tokenizer());
  }

  /**
   * Number of examples in a split.
   *
   * @param split the split (unspecified = train)
   * @return the example count
   */
  public int size(Split split) {
    Split s = normalise(split);
    return switch (spec.getTaskCase()) {
      case CLASSIFICATION -> labeled(spec.getClassification(), s).size();
      case STYLE_TRANSFER -> styled(spec.getStyleTransfer(), s).size();
      case IMAGE_INVERSION -> spec.getImageInversion().getTargetsCount();
      case CUSTOM -> labeled(spec.getCustom(), s).size();
      default -> 0;
    };
  }

  /**
   * Classification (or custom) examples of a split, optionally a subset.
   *
   * @param split the split (unspecified = train)
   * @param indices example indices, empty for the whole split
   * @return the examples in index order
   * @throws TaskValidationException naming {@code example_indices[i]} when an index is out of
   *     range, or {@code split} when the split is empty
   */
  public List<LabeledText> labeledExamples(Split split, List<Integer> indices) {
    Split s = normalise(split);
    List<LabeledText> all =
        switch (spec.getTaskCase()) {
          case CLASSIFICATION -> labeled(spec.getClassification(), s);
          case CUSTOM -> labeled(spec.getCustom(), s);
          default -> throw new IllegalStateException(handle + " has no labelled examples");
        };
    return select(all, s, indices);
  }

  /**
   * Style-transfer source sentences of a split, optionally a subset.
   *
   * @param split the split (unspecified = train)
   * @param indices example indices, empty for the whole split
   * @return the examples in index order
   * @throws TaskValidationException naming the bad index or empty split
   */
  public List<StyleExample> styleExamples(Split split, List<Integer> indices) {
    if (type != TaskType.TASK_TYPE_STYLE_TRANSFER) {
      throw new IllegalStateException(handle + " is not a style-transfer task");
    }
    Split s = normalise(split);
    return select(styled(spec.getStyleTransfer(), s), s, indices);
  }

  /**
   * The context a custom reward function sees.
   *
   * @param split the split
   * @param indices example subset
   * @return the context
   */
  public RewardContext customContext(Split split, List<Integer> indices) {
    CustomTask c = spec.getCustom();
    return new RewardContext(
        c.getParamsMap(),
        normalise(split),
        labeledExamples(split, indices),
        c.hasModel() ? Optional.of(c.getModel()) : Optional.empty());
  }

  /**
   * DescribeTask's answer.
   *
   * @return the task info
   */
  public TaskInfo toTaskInfo() {
    TaskInfo.Builder b =
        TaskInfo.newBuilder()
            .setHandle(TaskHandle.newBuilder().setHandle(handle).setType(type))
            .setTask(spec)
            .setTrainSize(size(Split.SPLIT_TRAIN))
            .setDevSize(size(Split.SPLIT_DEV))
            .setTestSize(size(Split.SPLIT_TEST));
    for (int id : verbalizerIds) {
      b.addVerbalizerTokenIds(id);
    }
    taskModel().ifPresent(m -> b.setTaskModelIdentity(m.identity()));
    return b.build();
  }

  /**
   * TaskHandle message for RegisterTask.
   *
   * @return the handle message
   */
  public TaskHandle toHandle() {
    return TaskHandle.newBuilder().setHandle(handle).setType(type)
        .setTask(TaskCanonicalizer.withoutExamples(spec)).build();
  }

  static Split normalise(Split split) {
    return split == Split.SPLIT_UNSPECIFIED || split == Split.UNRECOGNIZED
        ? Split.SPLIT_TRAIN
        : split;
  }

  private static List<LabeledText> labeled(ClassificationTask c, Split s) {
    return switch (s) {
      case SPLIT_DEV -> c.getDevList();
      case SPLIT_TEST -> c.getTestList();
      default -> c.getTrainList();
    };
  }

  private static List<LabeledText> labeled(CustomTask c, Split s) {
    return switch (s) {
      case SPLIT_DEV -> c.getDevList();
      case SPLIT_TEST -> c.getTestList();
      default -> c.getTrainList();
    };
  }

  private static List<StyleExample> styled(StyleTransferTask t, Split s) {
    return switch (s) {
      case SPLIT_DEV -> t.getDevList();
      case SPLIT_TEST -> t.getTestList();
      default -> t.getTrainList();
    };
  }

  private <T> List<T> select(List<T> all, Split split, List<Integer> indices) {
    if (indices.isEmpty()) {
      if (all.isEmpty() && type != TaskType.TASK_TYPE_CUSTOM) {
        throw new TaskValidationException(
            List.of(
                new FieldError(
                    "split",
                    "task "
                        + handle
                        + " has no "
                        + splitName(split)
                        + " examples; register them inline or choose another split")));
      }
      return all;
    }
    List<T> out = new ArrayList<>(indices.size());
    List<FieldError> errors = new ArrayList<>();
    for (int i = 0; i < indices.size(); i++) {
      int idx = indices.get(i);
      if (idx < 0 || idx >= all.size()) {
        errors.add(
            new FieldError(
                "example_indices[" + i + "]",
                idx
                    + " is outside the "
                    + splitName(split)
                    + " split ("
                    + all.size()
                    + " examples)"));
      } else {
        out.add(all.get(idx));
      }
    }
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
    return out;
  }

  private static String splitName(Split s) {
    return switch (s) {
      case SPLIT_DEV -> "dev";
      case SPLIT_TEST -> "test";
      default -> "train";
    };
  }
}
