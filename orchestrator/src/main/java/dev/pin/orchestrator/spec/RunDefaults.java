package dev.pin.orchestrator.spec;

import dev.pin.orchestrator.data.DataDir;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.PezConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.RewardShaping;
import dev.pin.v1.RunSpec;
import dev.pin.v1.SoftPromptConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.TaskType;
import dev.pin.v1.ZScore;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Fills the orchestrator's own §8 defaults for a run's (method, task) into the zero-valued fields
 * of a {@link RunSpec}: budget, evaluation, shaping, prompts per step, checkpoints, PEZ, the
 * embedded default model names and what a known data folder implies (verbalizers, label names).
 * The policy's defaults belong to the policy service and the task's to the reward service, which
 * read the real models (vocabulary size, masked or causal); StartRun asks them and stores the
 * effective spec they return ({@link #withServiceDefaults}), so a run can be reproduced from it.
 *
 * <table>
 *   <caption>§8 defaults</caption>
 *   <tr><th></th><th>RLPrompt classif.</th><th>RLPrompt style</th><th>PIN classif.</th>
 *       <th>PIN style</th><th>PIN image inversion</th></tr>
 *   <tr><td>prompt length T</td><td>5</td><td>5</td><td>5</td><td>5</td><td>8</td></tr>
 *   <tr><td>prompts per step</td><td>16</td><td>8 (2 inputs × 4)</td><td>16</td><td>8</td>
 *       <td>32</td></tr>
 *   <tr><td>replay batch / buffer</td><td>on-policy</td><td>on-policy</td><td>256 / 64 000</td>
 *       <td>256 / 64 000</td><td>256 / 64 000</td></tr>
 *   <tr><td>loss</td><td>½(v2+v3)</td><td>½(v2+v3)</td><td>sparse v1</td><td>sparse v1</td>
 *       <td>sparse v1</td></tr>
 *   <tr><td>sampling</td><td>top-256 on Q</td><td>top-50 on Q</td><td colspan=3>sparsemax</td></tr>
 *   <tr><td>LM filter k</td><td>off</td><td>off</td>
 *       <td colspan=3>10 000, or 20 % of a smaller vocabulary (the policy service's)</td></tr>
 *   <tr><td>shaping</td><td>5·z</td><td>100·z − 20</td><td>z</td><td>z</td><td>r (no z-score)</td></tr>
 *   <tr><td>steps</td><td>12 000</td><td>12 000</td><td>6 000</td><td>15 000</td><td>20 000</td></tr>
 * </table>
 *
 * <p>Everywhere: Polyak ρ = 0.001, Adam lr 5e-5 with gradient-norm clip 5, MLP 2048 wide with
 * Xavier gain 1e-4 and bias −1e-4, α = γ = 1, logit bias −10 for RLPrompt style transfer (§3)
 * (the policy service's). Classification verbalizers come from the data folder's name ({@link
 * FewShotDataset}); the template from the task model (the reward service's), except AG News's.
 * Models default to the embedded {@value #DEFAULT_MODEL}; style transfer and image inversion need
 * models the user imports (a generator, a style classifier, CLIP), so they get no default and the
 * reward service asks for them. Choices beyond §8: PIN style transfer uses
 * 8 prompts per step (the low end of §8's 8–16, matching RLPrompt), RLPrompt image inversion
 * borrows PIN's 20 000 steps, custom tasks use the classification column.
 *
 * <p>Proto3 cannot tell an explicit zero from an absent value, so a field set to 0 is treated as
 * absent; the exceptions are documented on the fields (e.g. {@code replay: {enabled: false}} keeps
 * PIN on-policy because the message is present).
 */
public final class RunDefaults {
  /** The embedded default model (MODELS.md): policy backbone, task LM and BERTScore encoder. */
  public static final String DEFAULT_MODEL = "bert-base-uncased";
  /** BERTScore layer of the default content model (§6.2; bert_score's bert-base-uncased: 9). */
  public static final int DEFAULT_CONTENT_LAYER = 9;

  private RunDefaults() {}

  /**
   * Fills every zero-valued field the orchestrator owns with its §8 default for the spec's method
   * and task. The method itself has no default: an unspecified method leaves the method-dependent
   * fields unset, and the validator reports it.
   */
  public static RunSpec apply(RunSpec spec) {
    RunSpec.Builder b = spec.toBuilder();
    Method method = spec.getMethod();
    TaskSpec.TaskCase task = spec.getTask().getTaskCase();
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;

    b.setTask(taskDefaults(spec.getTask()));
    if (method == Method.METHOD_RLPROMPT || method == Method.METHOD_PIN) {
      b.setPolicy(policyRequest(spec));
    }
    if (method == Method.METHOD_PEZ) {
      // §7.1; PezConfig's fields have presence, so a field set to 0 stays 0 (and is checked).
      PezConfig.Builder pez = spec.getPez().toBuilder();
      if (!pez.hasPromptLength()) {
        pez.setPromptLength(image ? 16 : 10);
      }
      if (!pez.hasLearningRate()) {
        pez.setLearningRate(image ? 0.1f : 0.3f);
      }
      if (!pez.hasWeightDecay()) {
        pez.setWeightDecay(0.1f);
      }
      if (!pez.hasFluencyWeight()) {
        pez.setFluencyWeight(0f);
      }
      b.setPez(pez);
      b.setPolicy(pezPolicyRequest(b.getTask(), pez.build(), spec.getSeed()));
    }
    if (method == Method.METHOD_SOFT_PROMPT) {
      // PEZ's LM defaults (§7.1), so that the two differ in the projection alone.
      SoftPromptConfig.Builder soft = spec.getSoftPrompt().toBuilder();
      if (!soft.hasPromptLength()) {
        soft.setPromptLength(10);
      }
      if (!soft.hasLearningRate()) {
        soft.setLearningRate(0.3f);
      }
      if (!soft.hasWeightDecay()) {
        soft.setWeightDecay(0.1f);
      }
      b.setSoftPrompt(soft);
      b.setPolicy(pezPolicyRequest(b.getTask(), spec.getSeed()).setSoftPrompt(soft).build());
    }
    if (b.getPromptsPerStep() == 0) {
      // PEZ and soft prompts train one prompt: each step scores its projection.
      b.setPromptsPerStep(continuous(method) ? 1 : image ? 32 : style ? 8 : 16);
    }
    if (style && b.getInputsPerStep() == 0) {
      b.setInputsPerStep(2);
    }
    if (b.getSeed() == 0 && b.hasPolicy() && b.getPolicy().getSeed() != 0) {
      b.setSeed(b.getPolicy().getSeed());
    }
    b.setShaping(shapingDefaults(spec.getShaping(), method, task));

    Budget.Builder budget = spec.getBudget().toBuilder();
    if (budget.getMaxSteps() == 0) {
      budget.setMaxSteps(defaultSteps(method, task));
    }
    b.setBudget(budget);

    EvaluationConfig.Builder eval = spec.getEvaluation().toBuilder();
    if (eval.getEverySteps() == 0) {
      eval.setEverySteps(50);
    }
    if (eval.getTopPrompts() == 0) {
      eval.setTopPrompts(3);
    }
    b.setEvaluation(eval);
    if (b.getCheckpointEverySteps() == 0) {
      b.setCheckpointEverySteps(100);
    }
    return b.build();
  }

  /** §8's training steps for (method, task). */
  public static long defaultSteps(Method method, TaskSpec.TaskCase task) {
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;
    return switch (method) {
      case METHOD_RLPROMPT -> image ? 20_000 : 12_000;
      case METHOD_PIN -> image ? 20_000 : style ? 15_000 : 6_000;
      case METHOD_PEZ -> image ? 3_000 : 5_000; // §7.1
      case METHOD_SOFT_PROMPT -> 5_000; // PEZ's LM variant's (§7.1)
      default -> 0;
    };
  }

  private static RewardShaping shapingDefaults(
      RewardShaping shaping, Method method, TaskSpec.TaskCase task) {
    RewardShaping.Builder s = shaping.toBuilder();
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;
    if (s.getZScore() == ZScore.Z_SCORE_UNSPECIFIED) {
      s.setZScore(image ? ZScore.Z_SCORE_OFF : ZScore.Z_SCORE_ON); // §6.3: no z-score
    }
    if (s.getScale() == 0) {
      // §5: RLPrompt 5·z (classification) and 100·z − 20 (style); PIN and image inversion 1.
      if (method == Method.METHOD_RLPROMPT && style) {
        s.setScale(100f);
        if (s.getShift() == 0) {
          s.setShift(-20f);
        }
      } else if (method == Method.METHOD_RLPROMPT && !image) {
        s.setScale(5f);
      } else {
        s.setScale(1f);
      }
    }
    if (s.hasPerplexityPenalty()
        && s.getPerplexityPenalty().getFunction() == PenaltyFunction.PENALTY_FUNCTION_UNSPECIFIED) {
      s.setPerplexityPenalty(
          s.getPerplexityPenalty().toBuilder()
              .setFunction(PenaltyFunction.PENALTY_FUNCTION_IDENTITY));
    }
    return s.build();
  }

  /**
   * What the orchestrator decides of the policy: the backbone (the embedded default model), the
   * algorithm of the method (its settings are the policy service's to fill), the task type that
   * picks the policy's task-dependent defaults, and the run's seed.
   */
  private static PolicyConfig policyRequest(RunSpec spec) {
    PolicyConfig.Builder p = spec.getPolicy().toBuilder();
    if (p.getBackbone().getName().isEmpty()) {
      p.setBackbone(p.getBackbone().toBuilder().setName(DEFAULT_MODEL));
    }
    if (spec.getMethod() == Method.METHOD_RLPROMPT
        && p.getAlgorithmCase() == PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET) {
      p.setSoftQ(SoftQLearningConfig.getDefaultInstance());
    }
    if (spec.getMethod() == Method.METHOD_PIN
        && p.getAlgorithmCase() == PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET) {
      p.setSparseTsallis(SparseTsallisConfig.getDefaultInstance());
    }
    if (p.getTaskType() == TaskType.TASK_TYPE_UNSPECIFIED) {
      p.setTaskType(taskType(spec.getTask()));
    }
    if (p.getSeed() == 0) {
      p.setSeed(spec.getSeed());
    }
    return p.build();
  }

  /** Whether {@code method} trains a continuous prompt in the policy service (PEZ, soft). */
  public static boolean continuous(Method method) {
    return method == Method.METHOD_PEZ || method == Method.METHOD_SOFT_PROMPT;
  }

  /**
   * PEZ's policy config (§7.1): no Q-network, the task model as the model the policy service
   * differentiates through, the run's PEZ settings and seed.
   */
  private static PolicyConfig pezPolicyRequest(TaskSpec task, PezConfig pez, long seed) {
    return pezPolicyRequest(task, seed).setPez(pez).build();
  }

  /** A continuous-prompt policy config without its algorithm: the task model and the seed. */
  private static PolicyConfig.Builder pezPolicyRequest(TaskSpec task, long seed) {
    String model = switch (task.getTaskCase()) {
      case CLASSIFICATION -> task.getClassification().getTaskModel().getName();
      case IMAGE_INVERSION -> task.getImageInversion().getClip().getName();
      default -> "";
    };
    PolicyConfig.Builder p = PolicyConfig.newBuilder().setTaskType(taskType(task)).setSeed(seed);
    if (!model.isEmpty()) {
      p.setBackbone(ModelRef.newBuilder().setName(model));
    }
    return p;
  }

  /**
   * The policy config a run sends to the policy service: the stored one (the service's effective
   * config for runs stored since StartRun asks for it), with the task type and seed that older
   * stored specs leave to the request.
   */
  public static PolicyConfig policyConfig(RunSpec spec) {
    return spec.getPolicy().toBuilder().setTaskType(taskType(spec.getTask()))
        .setSeed(spec.getPolicy().getSeed() != 0 ? spec.getPolicy().getSeed() : spec.getSeed())
        .build();
  }

  /**
   * The task the policy service needs beside the config: for PEZ (§7.1) and soft prompts, which
   * differentiate through the task model, the classification task with its training examples
   * inline (dev and test examples are sent with each ScoreContinuousPrompt), or the image
   * inversion with its target images inline (the policy service embeds them with the CLIP's
   * vision tower for PEZ's loss); nothing for RLPrompt and PIN, which learn from rewards.
   *
   * @param inline the task with its examples read ({@code TaskDataLoader})
   */
  public static TaskSpec policyTask(RunSpec spec, TaskSpec inline) {
    if (continuous(spec.getMethod()) && inline.hasImageInversion()) {
      return TaskSpec.newBuilder().setImageInversion(inline.getImageInversion().toBuilder()
          .clearData()).build();
    }
    if (!continuous(spec.getMethod()) || !inline.hasClassification()) {
      return TaskSpec.getDefaultInstance();
    }
    return TaskSpec.newBuilder().setClassification(inline.getClassification().toBuilder()
        .clearDev().clearTest().clearData()).build();
  }

  /** The policy's name for the spec's kind of task (it picks §8's task-dependent defaults). */
  public static TaskType taskType(TaskSpec task) {
    return switch (task.getTaskCase()) {
      case CLASSIFICATION -> TaskType.TASK_TYPE_CLASSIFICATION;
      case STYLE_TRANSFER -> TaskType.TASK_TYPE_STYLE_TRANSFER;
      case IMAGE_INVERSION -> TaskType.TASK_TYPE_IMAGE_INVERSION;
      case CUSTOM -> TaskType.TASK_TYPE_CUSTOM;
      case TASK_NOT_SET -> TaskType.TASK_TYPE_UNSPECIFIED;
    };
  }

  /**
   * The spec with the services' effective parts: the policy config CreatePolicy resolved for the
   * real backbone (PolicyInfo.config) and the task RegisterTask resolved for the real task model
   * (TaskHandle.task), which carries no examples; the spec's own data source and inline examples
   * are kept, so the stored spec still names where the data comes from.
   */
  public static RunSpec withServiceDefaults(RunSpec spec, PolicyConfig policy, TaskSpec task) {
    RunSpec.Builder b = spec.toBuilder();
    if (policy != null) {
      b.setPolicy(policy);
    }
    TaskSpec.Builder t = task.toBuilder();
    TaskSpec own = spec.getTask();
    switch (task.getTaskCase()) {
      case CLASSIFICATION -> t.getClassificationBuilder()
          .setData(own.getClassification().getData())
          .addAllTrain(own.getClassification().getTrainList())
          .addAllDev(own.getClassification().getDevList())
          .addAllTest(own.getClassification().getTestList());
      case STYLE_TRANSFER -> t.getStyleTransferBuilder()
          .setData(own.getStyleTransfer().getData())
          .addAllTrain(own.getStyleTransfer().getTrainList())
          .addAllDev(own.getStyleTransfer().getDevList())
          .addAllTest(own.getStyleTransfer().getTestList());
      case IMAGE_INVERSION -> t.getImageInversionBuilder()
          .setData(own.getImageInversion().getData())
          .addAllTargets(own.getImageInversion().getTargetsList());
      case CUSTOM -> t.getCustomBuilder()
          .addAllTrain(own.getCustom().getTrainList())
          .addAllDev(own.getCustom().getDevList())
          .addAllTest(own.getCustom().getTestList());
      default -> { }
    }
    return b.setTask(t).build();
  }

  private static TaskSpec taskDefaults(TaskSpec task) {
    return switch (task.getTaskCase()) {
      case CLASSIFICATION ->
          task.toBuilder()
              .setClassification(classificationDefaults(task.getClassification()))
              .build();
      case STYLE_TRANSFER ->
          task.toBuilder().setStyleTransfer(styleDefaults(task.getStyleTransfer())).build();
      default -> task;
    };
  }

  /**
   * The model name and what the data folder implies. The template and the reward multipliers are
   * the reward service's (§6.1: the template depends on whether the task model is masked or
   * causal), except AG News's masked template, which only the folder name tells; the verbalizers
   * are §6.1's words, which the reward service lowercases for an uncased task model.
   */
  private static ClassificationTask classificationDefaults(ClassificationTask c) {
    ClassificationTask.Builder b = c.toBuilder();
    if (b.getTaskModel().getName().isEmpty()) {
      b.setTaskModel(ModelRef.newBuilder(b.getTaskModel()).setName(DEFAULT_MODEL));
    }
    Optional<FewShotDataset> known = dataset(c);
    if (b.getVerbalizersCount() == 0 && known.isPresent()) {
      b.addAllVerbalizers(known.get().verbalizers());
      if (b.getLabelNamesCount() == 0) {
        b.addAllLabelNames(known.get().labelNames());
      }
    } else if (b.getLabelNamesCount() == 0
        && known.isPresent()
        && known.get().labelNames().size() == b.getVerbalizersCount()) {
      b.addAllLabelNames(known.get().labelNames());
    }
    if (b.getTemplate().isEmpty()
        && known.isPresent()
        && !known.get().maskedTemplate().equals(FewShotDataset.MASKED_TEMPLATE)) {
      b.setTemplate(known.get().maskedTemplate());
    }
    return b.build();
  }

  /** The known dataset a classification task's few-shot folder names, if any. */
  public static Optional<FewShotDataset> dataset(ClassificationTask c) {
    if (c.getData().getSourceCase() != DataSource.SourceCase.FEW_SHOT
        || c.getData().getFewShot().getDir().isBlank()) {
      return Optional.empty();
    }
    String base = DataDir.resolve(c.getData().getFewShot().getDir(), Path.of("")).baseName();
    return FewShotDataset.byFolderName(base);
  }

  /**
   * The content model and its BERTScore layer, and the target style. Template and generation are
   * the reward service's (§6.2).
   */
  private static StyleTransferTask styleDefaults(StyleTransferTask s) {
    StyleTransferTask.Builder b = s.toBuilder();
    if (b.getContentModel().getName().isEmpty()) {
      b.setContentModel(ModelRef.newBuilder(b.getContentModel()).setName(DEFAULT_MODEL));
      if (b.getContentLayer() == 0) {
        // bert_score's layer for bert-base-uncased (model2layers in bert_score/utils.py).
        b.setContentLayer(DEFAULT_CONTENT_LAYER);
      }
    }
    if (b.getTargetLabel() == 0 && s.getData().hasYelpStyle()) {
      b.setTargetLabel(1 - s.getData().getYelpStyle().getSourceStyle());
    }
    return b.build();
  }
}
