package dev.pin.orchestrator.spec;

import dev.pin.orchestrator.data.DataDir;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PenaltyFunction;
import dev.pin.v1.PezConfig;
import dev.pin.v1.PinLoss;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.RewardShaping;
import dev.pin.v1.RunSpec;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.ZScore;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Fills the §8 defaults for a run's (method, task) into every zero-valued field of a {@link
 * RunSpec}, so the stored spec is the effective one and a run can be reproduced from it alone.
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
 *       <td colspan=3>10 000, or 20 % of a smaller vocabulary ({@link #lmFilterTopK})</td></tr>
 *   <tr><td>shaping</td><td>5·z</td><td>100·z − 20</td><td>z</td><td>z</td><td>r (no z-score)</td></tr>
 *   <tr><td>steps</td><td>12 000</td><td>12 000</td><td>6 000</td><td>15 000</td><td>20 000</td></tr>
 * </table>
 *
 * <p>Everywhere: Polyak ρ = 0.001, Adam lr 5e-5 with gradient-norm clip 5, MLP 2048 wide with
 * Xavier gain 1e-4 and bias −1e-4, α = γ = 1, logit bias −10 for RLPrompt style transfer (§3).
 * Classification templates and verbalizers come from the data folder's name ({@link
 * FewShotDataset}). Models default to the embedded {@value #DEFAULT_MODEL}; style transfer and
 * image inversion need models the user imports (a generator, a style classifier, CLIP), so they get
 * no default and {@link RunSpecValidator} asks for them. Choices beyond §8: PIN style transfer uses
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

  /**
   * What the defaults depend on besides the spec, taken from the model manifests.
   *
   * @param policyVocabSize vocabulary size of the policy backbone (0 = unknown), for the LM filter
   * @param causalTaskModel whether the classification task LM is causal (template without mask)
   * @param uncasedTaskModel whether the task LM's vocabulary is lowercase (verbalizers lowercased)
   */
  public record Context(int policyVocabSize, boolean causalTaskModel, boolean uncasedTaskModel) {
    /** The facts of {@value RunDefaults#DEFAULT_MODEL}: 30 522 tokens, masked, uncased. */
    public static final Context DEFAULT = new Context(30522, false, true);
  }

  private RunDefaults() {}

  /** Fills the defaults assuming {@value #DEFAULT_MODEL} as policy backbone and task model. */
  public static RunSpec apply(RunSpec spec) {
    return apply(spec, Context.DEFAULT);
  }

  /**
   * Fills every zero-valued field with its §8 default for the spec's method and task. The method
   * itself has no default: an unspecified method leaves the method-dependent fields unset, and the
   * validator reports it.
   */
  public static RunSpec apply(RunSpec spec, Context ctx) {
    RunSpec.Builder b = spec.toBuilder();
    Method method = spec.getMethod();
    TaskSpec.TaskCase task = spec.getTask().getTaskCase();
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;

    b.setTask(taskDefaults(spec.getTask(), ctx));
    if (method == Method.METHOD_RLPROMPT || method == Method.METHOD_PIN) {
      b.setPolicy(policyDefaults(spec, ctx));
    }
    if (method == Method.METHOD_PEZ) {
      PezConfig.Builder pez = spec.getPez().toBuilder();
      if (pez.getPromptLength() == 0) {
        pez.setPromptLength(image ? 16 : 10);
      }
      if (pez.getLearningRate() == 0) {
        pez.setLearningRate(image ? 0.1f : 0.3f);
      }
      if (pez.getWeightDecay() == 0) {
        pez.setWeightDecay(0.1f);
      }
      b.setPez(pez);
    }
    if (b.getPromptsPerStep() == 0) {
      b.setPromptsPerStep(image ? 32 : style ? 8 : 16);
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

  /**
   * The LM-prior filter's k (§4.2): 10 000 of a ~50 000-token vocabulary, scaled to about 20 % when
   * the vocabulary is smaller (BERT's 30 522 tokens give 6 104).
   *
   * @param vocabSize the backbone's vocabulary size, or 0 when unknown (gives 10 000)
   */
  public static int lmFilterTopK(int vocabSize) {
    if (vocabSize <= 0) {
      return 10_000;
    }
    return (int) Math.max(1, Math.min(10_000, Math.round(0.2 * vocabSize)));
  }

  /** §8's training steps for (method, task). */
  public static long defaultSteps(Method method, TaskSpec.TaskCase task) {
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;
    return switch (method) {
      case METHOD_RLPROMPT -> image ? 20_000 : 12_000;
      case METHOD_PIN -> image ? 20_000 : style ? 15_000 : 6_000;
      case METHOD_PEZ -> image ? 3_000 : 5_000; // §7.1
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

  private static PolicyConfig policyDefaults(RunSpec spec, Context ctx) {
    Method method = spec.getMethod();
    TaskSpec.TaskCase task = spec.getTask().getTaskCase();
    boolean style = task == TaskSpec.TaskCase.STYLE_TRANSFER;
    boolean image = task == TaskSpec.TaskCase.IMAGE_INVERSION;
    PolicyConfig.Builder p = spec.getPolicy().toBuilder();
    if (p.getBackbone().getName().isEmpty()) {
      p.setBackbone(p.getBackbone().toBuilder().setName(DEFAULT_MODEL));
    }
    if (p.getPromptLength() == 0) {
      p.setPromptLength(image ? 8 : 5);
    }
    if (p.getMlpHiddenSize() == 0) {
      p.setMlpHiddenSize(2048);
    }
    if (p.getInitGain() == 0) {
      p.setInitGain(1e-4f);
    }
    if (p.getInitBias() == 0) {
      p.setInitBias(-1e-4f);
    }
    if (p.getAlpha() == 0) {
      p.setAlpha(1f);
    }
    if (p.getGamma() == 0) {
      p.setGamma(1f);
    }
    if (method == Method.METHOD_RLPROMPT
        && p.getAlgorithmCase() == PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET) {
      p.setSoftQ(SoftQLearningConfig.getDefaultInstance());
    }
    if (method == Method.METHOD_PIN
        && p.getAlgorithmCase() == PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET) {
      p.setSparseTsallis(SparseTsallisConfig.getDefaultInstance());
    }
    if (p.hasSoftQ()) {
      SoftQLearningConfig.Builder q = p.getSoftQ().toBuilder();
      if (q.getLoss() == SqlLoss.SQL_LOSS_UNSPECIFIED) {
        q.setLoss(SqlLoss.SQL_LOSS_V2_V3_MIXED);
      }
      if (q.getSamplingTopK() == 0) {
        q.setSamplingTopK(style ? 50 : 256);
      }
      if (q.getLogitBias() == 0 && style) {
        q.setLogitBias(-10f);
      }
      p.setSoftQ(q);
    } else if (p.hasSparseTsallis()) {
      SparseTsallisConfig.Builder t = p.getSparseTsallis().toBuilder();
      if (t.getLoss() == PinLoss.PIN_LOSS_UNSPECIFIED) {
        t.setLoss(PinLoss.PIN_LOSS_V1);
      }
      LmFilterConfig.Builder f = t.getLmFilter().toBuilder();
      if (!f.getDisabled()) {
        if (f.getTopK() == 0) {
          f.setTopK(lmFilterTopK(ctx.policyVocabSize()));
        }
        if (f.getIgnoredValue() == 0) {
          f.setIgnoredValue(-1000f);
        }
      }
      t.setLmFilter(f);
      p.setSparseTsallis(t);
    }
    AdamConfig.Builder adam = p.getOptimizer().toBuilder();
    if (adam.getLearningRate() == 0) {
      adam.setLearningRate(5e-5f);
    }
    if (adam.getMaxGradNorm() == 0) {
      adam.setMaxGradNorm(5f);
    }
    if (adam.getBeta1() == 0) {
      adam.setBeta1(0.9f);
    }
    if (adam.getBeta2() == 0) {
      adam.setBeta2(0.999f);
    }
    if (adam.getEpsilon() == 0) {
      adam.setEpsilon(1e-8f);
    }
    p.setOptimizer(adam);
    if (p.getTargetPolyak() == 0) {
      p.setTargetPolyak(0.001f);
    }
    // §4.4: PIN learns off-policy from a replay buffer; RLPrompt is on-policy (§3). An explicit
    // replay message is kept as written, so `replay: {enabled: false}` runs PIN on-policy.
    ReplayConfig.Builder replay = p.getReplay().toBuilder();
    if (!p.hasReplay() && method == Method.METHOD_PIN) {
      replay.setEnabled(true);
    }
    if (replay.getEnabled()) {
      if (replay.getCapacity() == 0) {
        replay.setCapacity(64_000);
      }
      if (replay.getWarmup() == 0) {
        replay.setWarmup(256);
      }
      if (replay.getBatchSize() == 0) {
        replay.setBatchSize(256);
      }
    }
    if (replay.getUpdatesPerStep() == 0) {
      replay.setUpdatesPerStep(1);
    }
    p.setReplay(replay);
    if (p.getSeed() == 0) {
      p.setSeed(spec.getSeed());
    }
    return p.build();
  }

  private static TaskSpec taskDefaults(TaskSpec task, Context ctx) {
    return switch (task.getTaskCase()) {
      case CLASSIFICATION ->
          task.toBuilder()
              .setClassification(classificationDefaults(task.getClassification(), ctx))
              .build();
      case STYLE_TRANSFER ->
          task.toBuilder().setStyleTransfer(styleDefaults(task.getStyleTransfer())).build();
      default -> task;
    };
  }

  private static ClassificationTask classificationDefaults(ClassificationTask c, Context ctx) {
    ClassificationTask.Builder b = c.toBuilder();
    if (b.getTaskModel().getName().isEmpty()) {
      b.setTaskModel(ModelRef.newBuilder(b.getTaskModel()).setName(DEFAULT_MODEL));
    }
    Optional<FewShotDataset> known = dataset(c);
    if (b.getVerbalizersCount() == 0 && known.isPresent()) {
      b.addAllVerbalizers(known.get().verbalizers(ctx.uncasedTaskModel()));
      if (b.getLabelNamesCount() == 0) {
        b.addAllLabelNames(known.get().labelNames());
      }
    } else if (b.getLabelNamesCount() == 0
        && known.isPresent()
        && known.get().labelNames().size() == b.getVerbalizersCount()) {
      b.addAllLabelNames(known.get().labelNames());
    }
    if (b.getTemplate().isEmpty()) {
      b.setTemplate(
          ctx.causalTaskModel()
              ? FewShotDataset.CAUSAL_TEMPLATE
              : known.map(FewShotDataset::maskedTemplate).orElse(FewShotDataset.MASKED_TEMPLATE));
    }
    if (b.getCorrectMultiplier() == 0) {
      b.setCorrectMultiplier(200f);
    }
    if (b.getIncorrectMultiplier() == 0) {
      b.setIncorrectMultiplier(180f);
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

  private static StyleTransferTask styleDefaults(StyleTransferTask s) {
    StyleTransferTask.Builder b = s.toBuilder();
    if (b.getTemplate().isEmpty()) {
      b.setTemplate("{prompt} \"{sentence}\" \""); // §6.2
    }
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
    GenerationConfig.Builder g = b.getGeneration().toBuilder();
    if (g.getTopK() == 0) {
      g.setTopK(10);
    }
    if (g.getTemperature() == 0) {
      g.setTemperature(1f);
    }
    if (g.getNumSamples() == 0) {
      g.setNumSamples(128); // 4 groups × 32 (§6.2)
    }
    if (g.getGroupSize() == 0) {
      g.setGroupSize(32);
    }
    b.setGeneration(g);
    return b.build();
  }
}
