package dev.pin.policy;

import dev.pin.kit.grpc.FieldErrors;
import dev.pin.policy.algorithm.PolicyHyperparameters;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.ComputeLossRequest;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.LmFilterConfig;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.MaskedHead;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.QTrajectory;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.RewardedPrompt;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.TaskType;
import dev.pin.v1.UpdateRequest;
import java.util.regex.Pattern;

/**
 * Validation of Policy requests. Every check names the field by its proto path and says what a
 * valid value looks like. A config is checked once its §8 defaults are filled in ({@link
 * #effective}): the ranges below are the only ones, for the orchestrator's StartRun too.
 */
public final class PolicyRequests {
  /** Longest prompt a policy samples (image inversion uses up to 32, §6.3). */
  public static final int MAX_PROMPT_LENGTH = 64;
  /**
   * Widest Q-head MLP: 4× §2's 2048, about 13 M parameters over a 768-wide backbone. A client's
   * 65 536 built ~100 M parameters (+1.9 GB) and a 1.6 GB checkpoint.
   */
  public static final int MAX_MLP_HIDDEN_SIZE = 8192;
  /** Largest batch one Sample call returns. */
  public static final int MAX_BATCH = 4096;

  private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");
  private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private PolicyRequests() {}

  static void runId(FieldErrors errors, String field, String runId) {
    errors.required(field, runId);
    if (runId != null && !runId.isBlank()) {
      errors.check(RUN_ID.matcher(runId).matches(), field,
          "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit; got '%s'",
          runId);
    }
  }

  /**
   * Checks what a config needs before its defaults can be resolved: a backbone to read the
   * vocabulary from, an algorithm, a device this service can name.
   */
  static void requested(FieldErrors errors, String path, PolicyConfig c) {
    String p = path + ".";
    errors.required(p + "backbone.name", c.getBackbone().getName());
    errors.check(c.getAlgorithmCase() != PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET,
        p + "algorithm", "set soft_q (RLPrompt, §3), sparse_tsallis (PIN, §4), pez (PEZ, §7.1) "
        + "or soft_prompt (prompt tuning)");
    errors.check(c.getDevice().isEmpty() || DEVICE.matcher(c.getDevice()).matches(),
        p + "device", "must be empty (the service's default), cpu or cuda:N; got '%s'",
        c.getDevice());
    errors.check(c.getTaskType() != TaskType.UNRECOGNIZED, p + "task_type",
        "must be a TaskType this service knows, got %d", c.getTaskTypeValue());
    errors.check(c.getMaskedHead() != MaskedHead.UNRECOGNIZED, p + "masked_head",
        "must be MASKED_HEAD_TIED_DECODER or MASKED_HEAD_FULL, got %d", c.getMaskedHeadValue());
    // RLPrompt's filter is off at k = 0, so the effective config has no k left to check.
    errors.check(c.getSoftQ().getLmFilter().getTopK() >= 0, p + "soft_q.lm_filter.top_k",
        "must be 0 (no filter, the papers' RLPrompt) or a positive k, got %d",
        c.getSoftQ().getLmFilter().getTopK());
  }

  /**
   * Checks an effective config ({@link PolicyHyperparameters#effective}, defaults filled): the one
   * check of each rule, so a zero left where a value is needed is an error here. {@code path}
   * prefixes the field names (e.g. "config").
   */
  public static void effective(FieldErrors errors, String path, PolicyConfig c) {
    String p = path + ".";
    errors.range(p + "prompt_length", c.getPromptLength(), 1, MAX_PROMPT_LENGTH);
    errors.range(p + "mlp_hidden_size", c.getMlpHiddenSize(), 1, MAX_MLP_HIDDEN_SIZE);
    positive(errors, p + "init_gain", c.getInitGain(), 10, "1e-4");
    errors.range(p + "init_bias", c.getInitBias(), -1.0, 1.0);
    positive(errors, p + "alpha", c.getAlpha(), 1000, "1");
    // §4.3: γ < 1 is allowed (discounted consistently), γ = 1 is the papers'; γ = 0 ignores r.
    positive(errors, p + "gamma", c.getGamma(), 1, "1");
    positive(errors, p + "target_polyak", c.getTargetPolyak(), 1, "0.001");
    switch (c.getAlgorithmCase()) {
      case SOFT_Q -> {
        errors.range(p + "soft_q.sampling_top_k", c.getSoftQ().getSamplingTopK(), 1, 1 << 20);
        errors.check(Float.isFinite(c.getSoftQ().getLogitBias()), p + "soft_q.logit_bias",
            "must be a finite number");
        if (c.getSoftQ().hasLmFilter()) { // filtered tokens leave the softmax: no ignored value
          errors.range(p + "soft_q.lm_filter.top_k", c.getSoftQ().getLmFilter().getTopK(), 1,
              1 << 20);
        }
      }
      case SPARSE_TSALLIS -> {
        LmFilterConfig filter = c.getSparseTsallis().getLmFilter();
        if (!filter.getDisabled()) {
          errors.range(p + "sparse_tsallis.lm_filter.top_k", filter.getTopK(), 1, 1 << 20);
          float ignored = filter.getIgnoredValue();
          errors.check(ignored < 0 && ignored >= -1e9, p + "sparse_tsallis.lm_filter.ignored_value",
              "must be a negative number down to -1e9 (default -1000), got %s", ignored);
        }
      }
      case PEZ -> errors.add(p + "pez", "PEZ configs are checked by effectivePez");
      case SOFT_PROMPT -> errors.add(p + "soft_prompt", "soft-prompt configs are checked by "
          + "effectivePez");
      case ALGORITHM_NOT_SET -> errors.add(p + "algorithm",
          "set soft_q (RLPrompt, §3) or sparse_tsallis (PIN, §4)");
    }
    AdamConfig adam = c.getOptimizer();
    positive(errors, p + "optimizer.learning_rate", adam.getLearningRate(), 10, "5e-5");
    errors.check(Float.isFinite(adam.getMaxGradNorm()), p + "optimizer.max_grad_norm",
        "must be a finite number (default 5; negative disables clipping)");
    errors.check(adam.getBeta1() >= 0 && adam.getBeta1() < 1, p + "optimizer.beta1",
        "must be in [0, 1) (default 0.9), got %s", adam.getBeta1());
    errors.check(adam.getBeta2() >= 0 && adam.getBeta2() < 1, p + "optimizer.beta2",
        "must be in [0, 1) (default 0.999), got %s", adam.getBeta2());
    positive(errors, p + "optimizer.epsilon", adam.getEpsilon(), 1, "1e-8");
    ReplayConfig replay = c.getReplay();
    errors.range(p + "replay.capacity", replay.getCapacity(), 1, 10_000_000);
    errors.range(p + "replay.batch_size", replay.getBatchSize(), 1, 1_000_000);
    errors.range(p + "replay.updates_per_step", replay.getUpdatesPerStep(), 1, 64);
    errors.range(p + "replay.warmup", replay.getWarmup(), 1, Math.max(1, replay.getCapacity()));
    errors.range(p + "prior_weight", c.getPriorWeight(), 0.0, 100.0);
  }

  /**
   * Checks a PEZ config (§7.1) or a soft prompt's: {@code requested} as sent, {@code effective}
   * with its defaults filled ({@code PezHyperparameters.effective}). A field that is set is
   * checked as given, 0 included: PezConfig's and SoftPromptConfig's fields have presence, so
   * {@code prompt_length: 0} is an error and not the default.
   */
  public static void effectivePez(FieldErrors errors, String path, PolicyConfig requested,
      PolicyConfig effective) {
    boolean soft = effective.hasSoftPrompt();
    String p = path + (soft ? ".soft_prompt." : ".pez.");
    int length = soft ? effective.getSoftPrompt().getPromptLength()
        : effective.getPez().getPromptLength();
    float lr = soft ? effective.getSoftPrompt().getLearningRate()
        : effective.getPez().getLearningRate();
    float wd = soft ? effective.getSoftPrompt().getWeightDecay()
        : effective.getPez().getWeightDecay();
    errors.range(p + "prompt_length", length, 1, MAX_PROMPT_LENGTH);
    errors.check(requested.getPromptLength() == 0
        || requested.getPromptLength() == length, path + ".prompt_length",
        "the prompt length is %s; leave this 0 or equal to it, got %d",
        p + "prompt_length = " + length, requested.getPromptLength());
    positive(errors, p + "learning_rate", lr, 100, soft ? "0.3" : "0.3 for LMs, 0.1 for CLIP");
    errors.check(wd >= 0 && wd * lr < 1,
        p + "weight_decay", "must be 0 or more with learning_rate·weight_decay below 1 (AdamW "
        + "multiplies the prompt by 1 − lr·wd each step; default 0.1), got %s", wd);
    if (!soft) {
      float w = effective.getPez().getFluencyWeight();
      errors.check(w >= 0 && w <= 1, p + "fluency_weight", "must be in [0, 1] (default 0), got %s",
          w);
    }
  }

  /** Most examples one ScoreContinuousPrompt call scores (AG News's test split has 7 600). */
  static final int MAX_SCORED_EXAMPLES = 100_000;

  static void scoreContinuous(dev.pin.v1.ScoreContinuousPromptRequest r) {
    FieldErrors errors = new FieldErrors();
    runId(errors, "run_id", r.getRunId());
    errors.range("examples", r.getExamplesCount(), 1, MAX_SCORED_EXAMPLES);
    for (int i = 0; i < r.getExamplesCount(); i++) {
      int length = r.getExamples(i).getText().length();
      if (length > 10_000) {
        errors.add("examples[" + i + "].text", "must be at most 10000 characters, got " + length);
        break;
      }
    }
    errors.check(r.getSplitValue() >= 0 && r.getSplitValue() <= 3, "split",
        "must be SPLIT_TRAIN, SPLIT_DEV or SPLIT_TEST, got %d", r.getSplitValue());
    if (r.hasPrompt()) {
      dev.pin.v1.ContinuousPrompt p = r.getPrompt();
      errors.check((long) p.getRows() * p.getWidth() == p.getValuesCount()
          && p.getValuesCount() > 0, "prompt.values", "must hold rows × width = %d × %d values, "
          + "got %d", p.getRows(), p.getWidth(), p.getValuesCount());
      for (int i = 0; i < p.getValuesCount(); i++) {
        if (!Float.isFinite(p.getValues(i))) {
          errors.add("prompt.values[" + i + "]", "must be a finite number, got "
              + p.getValues(i));
          break;
        }
      }
    }
    errors.throwIfAny();
  }

  /** The field must lie in (0, max]. */
  private static void positive(FieldErrors errors, String field, float value, double max,
      String dflt) {
    errors.check(value > 0 && value <= max, field, "must be in (0, %s] (default %s), got %s",
        max == Math.rint(max) ? Long.toString((long) max) : Double.toString(max), dflt, value);
  }

  static void create(CreatePolicyRequest r) {
    FieldErrors errors = new FieldErrors();
    if (!r.getValidateOnly() || !r.getRunId().isEmpty()) {
      runId(errors, "run_id", r.getRunId());
    }
    errors.check(r.hasConfig(), "config", "is required");
    if (r.hasConfig()) {
      requested(errors, "config", r.getConfig());
    }
    errors.throwIfAny();
  }

  static void sample(SampleRequest r) {
    FieldErrors errors = new FieldErrors();
    runId(errors, "run_id", r.getRunId());
    errors.range("batch_size", r.getBatchSize(), 1, MAX_BATCH);
    errors.check(r.getModeValue() >= 0 && r.getModeValue() <= 2, "mode",
        "must be DECODE_MODE_SAMPLE or DECODE_MODE_GREEDY, got %d", r.getModeValue());
    errors.throwIfAny();
  }

  static void update(UpdateRequest r) {
    FieldErrors errors = new FieldErrors();
    runId(errors, "run_id", r.getRunId());
    errors.check(r.getPromptsCount() > 0, "prompts", "must hold at least one rewarded prompt");
    for (int i = 0; i < r.getPromptsCount(); i++) {
      RewardedPrompt p = r.getPrompts(i);
      errors.check(Float.isFinite(p.getReward()), "prompts[" + i + "].reward",
          "must be a finite number, got %s", p.getReward());
      errors.check(p.getSampleId() != 0 || p.getTokenIdsCount() > 0, "prompts[" + i + "]",
          "needs a sample_id from Sample or its token_ids");
    }
    errors.throwIfAny();
  }

  static void load(LoadCheckpointRequest r) {
    FieldErrors errors = new FieldErrors();
    runId(errors, "run_id", r.getRunId());
    errors.required("checkpoint.uri", r.getCheckpoint().getUri());
    errors.check(r.hasConfig(), "config", "is required (it must match the checkpoint's)");
    if (r.hasConfig()) {
      requested(errors, "config", r.getConfig());
    }
    errors.throwIfAny();
  }

  static void computeLoss(ComputeLossRequest r) {
    FieldErrors errors = new FieldErrors();
    errors.check(r.getConfig().getAlgorithmCase() != PolicyConfig.AlgorithmCase.ALGORITHM_NOT_SET,
        "config.algorithm", "set soft_q (RLPrompt, §3) or sparse_tsallis (PIN, §4)");
    errors.check(!r.getConfig().hasPez(), "config.pez", "ComputeLoss evaluates the RL losses "
        + "(§3, §4); PEZ has no Q-value tables");
    errors.check(!r.getConfig().hasSoftPrompt(), "config.soft_prompt", "ComputeLoss evaluates "
        + "the RL losses (§3, §4); a soft prompt has no Q-value tables");
    errors.check(r.getBatchCount() > 0, "batch", "must hold at least one trajectory");
    int vocab = -1;
    int steps = -1;
    for (int i = 0; i < r.getBatchCount(); i++) {
      QTrajectory t = r.getBatch(i);
      String f = "batch[" + i + "]";
      if (steps < 0) {
        steps = t.getQCount();
      }
      errors.check(t.getQCount() > 0 && t.getQCount() == steps, f + ".q",
          "must have T > 0 rows like batch[0] (%d), got %d", steps, t.getQCount());
      errors.check(t.getTargetQCount() == t.getQCount(), f + ".target_q",
          "must have as many rows as q (%d), got %d", t.getQCount(), t.getTargetQCount());
      errors.check(t.getLmLogitsCount() == 0 || t.getLmLogitsCount() == t.getQCount(),
          f + ".lm_logits", "must be empty or have as many rows as q (%d), got %d",
          t.getQCount(), t.getLmLogitsCount());
      errors.check(t.getActionsCount() == t.getQCount(), f + ".actions",
          "must have one action per row of q (%d), got %d", t.getQCount(), t.getActionsCount());
      for (int row = 0; row < t.getQCount(); row++) {
        int n = t.getQ(row).getValuesCount();
        if (vocab < 0) {
          vocab = n;
        }
        errors.check(n > 0 && n == vocab, f + ".q[" + row + "].values",
            "must have |V| > 0 values like batch[0].q[0] (%d), got %d", vocab, n);
        if (row < t.getTargetQCount()) {
          errors.check(t.getTargetQ(row).getValuesCount() == vocab,
              f + ".target_q[" + row + "].values", "must have %d values, got %d", vocab,
              t.getTargetQ(row).getValuesCount());
        }
        if (row < t.getActionsCount()) {
          errors.range(f + ".actions[" + row + "]", t.getActions(row), 0, Math.max(0, vocab - 1));
        }
      }
      errors.check(Float.isFinite(t.getReward()), f + ".reward", "must be a finite number");
      finiteRows(errors, f + ".q", t.getQList());
      finiteRows(errors, f + ".target_q", t.getTargetQList());
      finiteRows(errors, f + ".lm_logits", t.getLmLogitsList());
    }
    if (r.getConfig().hasSparseTsallis()) {
      float ignored = r.getConfig().getSparseTsallis().getLmFilter().getIgnoredValue();
      errors.check(Float.isFinite(ignored) && ignored <= 0,
          "config.sparse_tsallis.lm_filter.ignored_value",
          "must be a finite number ≤ 0 (default −1000; −∞ turns the losses into NaN), got %s",
          ignored);
    }
    errors.throwIfAny();
  }

  /** NaN and ±∞ in Q tables make the losses NaN (or crash sparsemax): name the first such entry. */
  private static void finiteRows(FieldErrors errors, String field,
      java.util.List<dev.pin.v1.FloatRow> rows) {
    for (int row = 0; row < rows.size(); row++) {
      java.util.List<Float> values = rows.get(row).getValuesList();
      for (int i = 0; i < values.size(); i++) {
        if (!Float.isFinite(values.get(i))) {
          errors.add(field + "[" + row + "].values[" + i + "]", "must be a finite number (use "
              + "−1e9 for a token that can never be chosen), got " + values.get(i));
          return;
        }
      }
    }
  }
}
