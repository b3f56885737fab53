package dev.pin.policy.algorithm;

import dev.pin.v1.AdamConfig;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.MaskedHead;
import dev.pin.v1.PinLoss;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.SoftQLearningConfig;
import dev.pin.v1.SparseTsallisConfig;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.TaskType;

/**
 * Every setting of a policy, immutable, with the §8 defaults. Build it from the wire with {@link
 * #fromProto(PolicyConfig, TaskType)} (zero values mean the default for (method, task)) and log
 * {@link #toString()} at the start of a run.
 *
 * @param algorithm RLPrompt's soft Q-learning (§3) or PIN's sparse Tsallis Q-learning (§4)
 * @param promptLength T, tokens per prompt (default 5; 8 for image inversion)
 * @param mlpHiddenSize width of the MLP d→hidden→d (default 2048)
 * @param initGain Xavier-uniform gain of the MLP weights (default 1e-4)
 * @param initBias initial value of every MLP bias (default −1e-4)
 * @param alpha temperature α (default 1)
 * @param gamma discount γ in (0, 1] (default 1)
 * @param sqlLoss §3 loss (default ½(v2+v3))
 * @param samplingTopK RLPrompt samples from softmax(Q) over the top-k tokens by Q (256
 *     classification, 50 style transfer)
 * @param logitBias constant added to every Q by RLPrompt (0; −10 for style transfer)
 * @param pinLoss §4.3 loss (default v1, Monte-Carlo regression)
 * @param filterEnabled the LM-prior filter F_I on (default true for PIN, false for RLPrompt)
 * @param filterTopK k of F_I (default 0 = auto, {@link #lmFilterTopK} of the vocabulary)
 * @param ignoredValue Q of filtered tokens (default −1000)
 * @param learningRate Adam learning rate (default 5e-5)
 * @param maxGradNorm global gradient L2-norm clip (default 5.0; ≤ 0 disables)
 * @param beta1 Adam β1 (default 0.9)
 * @param beta2 Adam β2 (default 0.999)
 * @param epsilon Adam ε (default 1e-8)
 * @param targetPolyak Polyak rate ρ: θ̄ ← (1−ρ)θ̄ + ρθ before every gradient step (default 0.001)
 * @param replayEnabled off-policy updates from a FIFO replay buffer (default on for PIN only)
 * @param replayCapacity buffer capacity in prompts (default 64 000)
 * @param replayWarmup no gradient step until the buffer holds this many prompts (default 256)
 * @param replayBatchSize prompts drawn uniformly with replacement per step (default 256)
 * @param updatesPerStep gradient steps per Update once the replay buffer is warm (default 1)
 * @param priorWeight β of the LM prior in the policy's scores, Q/α + β·log p_LM (default 0, the
 *     papers: π from Q alone)
 * @param wordsOnly act over whole words only (default false, the papers)
 * @param noRepeat no token twice in one prompt (default false, the papers)
 * @param seed seeds MLP initialisation, sampling and replay draws (default 0)
 */
public record PolicyHyperparameters(
    Algorithm algorithm,
    int promptLength,
    int mlpHiddenSize,
    double initGain,
    double initBias,
    double alpha,
    double gamma,
    SoftQLearning.Loss sqlLoss,
    int samplingTopK,
    double logitBias,
    SparseTsallisQLearning.Loss pinLoss,
    boolean filterEnabled,
    int filterTopK,
    double ignoredValue,
    double learningRate,
    double maxGradNorm,
    double beta1,
    double beta2,
    double epsilon,
    double targetPolyak,
    boolean replayEnabled,
    int replayCapacity,
    int replayWarmup,
    int replayBatchSize,
    int updatesPerStep,
    double priorWeight,
    boolean wordsOnly,
    boolean noRepeat,
    long seed) {

  /** The two learning algorithms. */
  public enum Algorithm {
    /** RLPrompt (§3). */
    SOFT_Q,
    /** PIN (§4). */
    SPARSE_TSALLIS
  }

  /**
   * Only nulls are refused here: the ranges are checked once, on the effective wire config, by
   * {@code PolicyRequests} (with the field's path).
   */
  public PolicyHyperparameters {
    java.util.Objects.requireNonNull(algorithm, "algorithm");
    java.util.Objects.requireNonNull(sqlLoss, "sqlLoss");
    java.util.Objects.requireNonNull(pinLoss, "pinLoss");
  }

  /** The §8 defaults for an algorithm and task. */
  public static PolicyHyperparameters defaults(Algorithm algorithm, TaskType task) {
    PolicyConfig.Builder config = PolicyConfig.newBuilder();
    if (algorithm == Algorithm.SPARSE_TSALLIS) {
      config.setSparseTsallis(SparseTsallisConfig.getDefaultInstance());
    } else {
      config.setSoftQ(SoftQLearningConfig.getDefaultInstance());
    }
    return fromProto(config.build(), task);
  }

  /** {@link #fromProto(PolicyConfig, TaskType)} for classification, the task-free default. */
  public static PolicyHyperparameters fromProto(PolicyConfig c) {
    return fromProto(c, TaskType.TASK_TYPE_CLASSIFICATION);
  }

  /**
   * Reads a wire config; every zero field takes its §8 default for (method, task). The replay
   * buffer follows {@code replay.enabled} when the message is present and defaults to on for PIN,
   * off for RLPrompt. No algorithm set means RLPrompt.
   */
  public static PolicyHyperparameters fromProto(PolicyConfig c, TaskType task) {
    boolean pin = c.getAlgorithmCase() == PolicyConfig.AlgorithmCase.SPARSE_TSALLIS;
    boolean style = task == TaskType.TASK_TYPE_STYLE_TRANSFER;
    boolean image = task == TaskType.TASK_TYPE_IMAGE_INVERSION;
    SoftQLearningConfig sq = c.getSoftQ();
    SparseTsallisConfig st = c.getSparseTsallis();
    // F_I is on by default for PIN (§4.2); for RLPrompt only when soft_q.lm_filter.top_k is set.
    LmFilterConfig filter = pin ? st.getLmFilter() : sq.getLmFilter();
    boolean filterOn = pin ? !filter.getDisabled() : filter.getTopK() > 0 && !filter.getDisabled();
    AdamConfig adam = c.getOptimizer();
    ReplayConfig replay = c.getReplay();
    return new PolicyHyperparameters(
        pin ? Algorithm.SPARSE_TSALLIS : Algorithm.SOFT_Q,
        orInt(c.getPromptLength(), image ? 8 : 5),
        orInt(c.getMlpHiddenSize(), 2048),
        or(c.getInitGain(), 1e-4),
        or(c.getInitBias(), -1e-4),
        or(c.getAlpha(), 1),
        or(c.getGamma(), 1),
        sqlLoss(sq.getLoss()),
        orInt(sq.getSamplingTopK(), style ? 50 : 256),
        or(sq.getLogitBias(), style ? -10f : 0),
        pinLoss(st.getLoss()),
        filterOn,
        filter.getTopK(),
        or(filter.getIgnoredValue(), -1000),
        or(adam.getLearningRate(), 5e-5),
        or(adam.getMaxGradNorm(), 5),
        or(adam.getBeta1(), 0.9),
        or(adam.getBeta2(), 0.999),
        or(adam.getEpsilon(), 1e-8),
        or(c.getTargetPolyak(), 1e-3),
        c.hasReplay() ? replay.getEnabled() : pin,
        orInt(replay.getCapacity(), 64_000),
        orInt(replay.getWarmup(), 256),
        orInt(replay.getBatchSize(), 256),
        orInt(replay.getUpdatesPerStep(), 1),
        c.getPriorWeight(),
        c.getWordsOnly(),
        c.getNoRepeatTokens(),
        c.getSeed());
  }

  /**
   * The effective config of a request, every §8 default filled in: what the policy service
   * reports (PolicyInfo.config) and the orchestrator stores. Device is the service's to resolve.
   *
   * @param requested the wire config; zero fields take their defaults
   * @param vocabSize the backbone's vocabulary size, for the LM filter's k (§4.2)
   */
  public static PolicyConfig effective(PolicyConfig requested, int vocabSize) {
    return fromProto(requested, requested.getTaskType()).toProto(vocabSize).toBuilder()
        .setBackbone(requested.getBackbone())
        .setDevice(requested.getDevice())
        .setTaskType(requested.getTaskType())
        .setMaskedHead(requested.getMaskedHead() == MaskedHead.MASKED_HEAD_FULL
            ? MaskedHead.MASKED_HEAD_FULL : MaskedHead.MASKED_HEAD_TIED_DECODER)
        .build();
  }

  /**
   * The config with every default filled in, {@code filterTopK} resolved against the backbone's
   * vocabulary ({@link #lmFilterTopK}). Backbone, device, task type and head are the caller's.
   */
  public PolicyConfig toProto(int vocabSize) {
    PolicyConfig.Builder b = PolicyConfig.newBuilder()
        .setPromptLength(promptLength)
        .setMlpHiddenSize(mlpHiddenSize)
        .setInitGain((float) initGain)
        .setInitBias((float) initBias)
        .setAlpha((float) alpha)
        .setGamma((float) gamma)
        .setOptimizer(AdamConfig.newBuilder()
            .setLearningRate((float) learningRate)
            .setMaxGradNorm((float) maxGradNorm)
            .setBeta1((float) beta1)
            .setBeta2((float) beta2)
            .setEpsilon((float) epsilon))
        .setTargetPolyak((float) targetPolyak)
        .setReplay(ReplayConfig.newBuilder()
            .setEnabled(replayEnabled)
            .setCapacity(replayCapacity)
            .setWarmup(replayWarmup)
            .setBatchSize(replayBatchSize)
            .setUpdatesPerStep(updatesPerStep))
        .setPriorWeight((float) priorWeight)
        .setWordsOnly(wordsOnly)
        .setNoRepeatTokens(noRepeat)
        .setSeed(seed);
    if (algorithm == Algorithm.SPARSE_TSALLIS) {
      b.setSparseTsallis(SparseTsallisConfig.newBuilder()
          .setLoss(switch (pinLoss) {
            case V1 -> PinLoss.PIN_LOSS_V1;
            case V2 -> PinLoss.PIN_LOSS_V2;
            case ALGORITHM1 -> PinLoss.PIN_LOSS_ALGORITHM1;
            case V3 -> PinLoss.PIN_LOSS_V3;
          })
          .setLmFilter(LmFilterConfig.newBuilder()
              .setDisabled(!filterEnabled)
              .setTopK(filterTopK > 0 ? filterTopK : lmFilterTopK(vocabSize))
              .setIgnoredValue((float) ignoredValue)));
    } else {
      SoftQLearningConfig.Builder sq = SoftQLearningConfig.newBuilder()
          .setLoss(switch (sqlLoss) {
            case V1 -> SqlLoss.SQL_LOSS_V1;
            case V2 -> SqlLoss.SQL_LOSS_V2;
            case V3 -> SqlLoss.SQL_LOSS_V3;
            case V2_V3_MIXED -> SqlLoss.SQL_LOSS_V2_V3_MIXED;
          })
          .setSamplingTopK(samplingTopK)
          .setLogitBias((float) logitBias);
      if (filterEnabled) { // off (absent) by default: RLPrompt has no filter
        sq.setLmFilter(LmFilterConfig.newBuilder().setTopK(filterTopK));
      }
      b.setSoftQ(sq);
    }
    return b.build();
  }

  /**
   * The LM filter's default k (§4.2): 10 000 of a ~50 000-token vocabulary, about 20 % of a
   * smaller one (BERT's 30 522 tokens give 6 104).
   *
   * @param vocabSize the backbone's vocabulary size, or 0 when unknown (gives 10 000)
   */
  public static int lmFilterTopK(int vocabSize) {
    if (vocabSize <= 0) {
      return 10_000;
    }
    return (int) Math.max(1, Math.min(10_000, Math.round(0.2 * vocabSize)));
  }

  /**
   * k of the LM filter for an action space of {@code n} tokens: the configured k, or by default
   * {@link #lmFilterTopK} of n; never more than n.
   */
  public int effectiveFilterTopK(int n) {
    int k = filterTopK > 0 ? filterTopK : lmFilterTopK(n);
    return Math.max(1, Math.min(k, n));
  }

  /** A copy with another seed. */
  public PolicyHyperparameters withSeed(long newSeed) {
    return new PolicyHyperparameters(algorithm, promptLength, mlpHiddenSize, initGain, initBias,
        alpha, gamma, sqlLoss, samplingTopK, logitBias, pinLoss, filterEnabled, filterTopK,
        ignoredValue, learningRate, maxGradNorm, beta1, beta2, epsilon, targetPolyak,
        replayEnabled, replayCapacity, replayWarmup, replayBatchSize, updatesPerStep, priorWeight,
        wordsOnly, noRepeat, newSeed);
  }

  /** A copy with another LM-filter k (0 = auto). */
  public PolicyHyperparameters withFilterTopK(int k) {
    return new PolicyHyperparameters(algorithm, promptLength, mlpHiddenSize, initGain, initBias,
        alpha, gamma, sqlLoss, samplingTopK, logitBias, pinLoss, filterEnabled, k,
        ignoredValue, learningRate, maxGradNorm, beta1, beta2, epsilon, targetPolyak,
        replayEnabled, replayCapacity, replayWarmup, replayBatchSize, updatesPerStep, priorWeight,
        wordsOnly, noRepeat, seed);
  }

  private static SoftQLearning.Loss sqlLoss(SqlLoss loss) {
    return switch (loss) {
      case SQL_LOSS_V1 -> SoftQLearning.Loss.V1;
      case SQL_LOSS_V2 -> SoftQLearning.Loss.V2;
      case SQL_LOSS_V3 -> SoftQLearning.Loss.V3;
      default -> SoftQLearning.Loss.V2_V3_MIXED;
    };
  }

  private static SparseTsallisQLearning.Loss pinLoss(PinLoss loss) {
    return switch (loss) {
      case PIN_LOSS_V2 -> SparseTsallisQLearning.Loss.V2;
      case PIN_LOSS_ALGORITHM1 -> SparseTsallisQLearning.Loss.ALGORITHM1;
      case PIN_LOSS_V3 -> SparseTsallisQLearning.Loss.V3;
      default -> SparseTsallisQLearning.Loss.V1;
    };
  }

  private static double or(float value, double fallback) {
    // The float's shortest decimal form, so 5e-5f reads as 5e-5 and configs round-trip exactly.
    return value != 0f ? Double.parseDouble(Float.toString(value)) : fallback;
  }

  private static int orInt(int value, int fallback) {
    return value != 0 ? value : fallback;
  }
}
