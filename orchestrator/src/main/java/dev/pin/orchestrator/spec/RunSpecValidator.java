package dev.pin.orchestrator.spec;

import dev.pin.platform.models.store.ModelStore;
import dev.pin.v1.AdamConfig;
import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.CustomTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.GenerationConfig;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.LabeledText;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PezConfig;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.ReplayConfig;
import dev.pin.v1.RewardShaping;
import dev.pin.v1.RunSpec;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks an effective run spec (after {@link RunDefaults#apply}) and reports every problem at once,
 * each as {@code <field path>: <what is wrong>, <what to do>}, e.g. {@code
 * spec.policy.prompt_length: must be between 1 and 64, got 0}. Because defaults are filled first, a
 * zero left in a field that needs a value is an error here. File contents are not read (that is
 * {@code TaskDataLoader}'s job, with file and line in its errors); models are not looked up (the
 * services report unknown models as NOT_FOUND / FAILED_PRECONDITION).
 */
public final class RunSpecValidator {
  /** Longest prompt accepted (§6.3's best image-inversion length is 32; leave headroom). */
  public static final int MAX_PROMPT_LENGTH = 64;

  /** Most prompts per step (each is scored on every training example). */
  public static final int MAX_PROMPTS_PER_STEP = 4096;

  private final List<String> errors = new ArrayList<>();

  private RunSpecValidator() {}

  /**
   * Every problem of the spec, empty when it is valid.
   *
   * @param spec the effective spec, defaults filled
   */
  public static List<String> validate(RunSpec spec) {
    RunSpecValidator v = new RunSpecValidator();
    v.check("spec", spec);
    return List.copyOf(v.errors);
  }

  /**
   * Throws when the spec has any problem.
   *
   * @throws SpecException listing all problems
   */
  public static void check(RunSpec spec) {
    List<String> problems = validate(spec);
    if (!problems.isEmpty()) {
      throw new SpecException(problems);
    }
  }

  /**
   * Every problem of a task on its own (what EvaluatePrompt scores a prompt on), with paths under
   * {@code task}; empty when it is valid.
   *
   * @param task the effective task, defaults filled
   */
  public static List<String> validateTask(TaskSpec task) {
    RunSpecValidator v = new RunSpecValidator();
    v.task("task", task);
    return List.copyOf(v.errors);
  }

  private void check(String path, RunSpec s) {
    if (s.getName().length() > 200) {
      error(path + ".name", "must be at most 200 characters, got " + s.getName().length());
    }
    Method m = s.getMethod();
    if (m == Method.METHOD_UNSPECIFIED || m == Method.UNRECOGNIZED) {
      error(path + ".method", "must be set; use one of rlprompt, pin, pez");
    }
    task(path + ".task", s.getTask());
    if (m == Method.METHOD_RLPROMPT || m == Method.METHOD_PIN) {
      policy(path + ".policy", s.getPolicy(), m);
    }
    if (m == Method.METHOD_PEZ) {
      pez(path + ".pez", s.getPez());
    }
    range(path + ".prompts_per_step", s.getPromptsPerStep(), 1, MAX_PROMPTS_PER_STEP);
    if (s.getTask().hasStyleTransfer()) {
      range(path + ".inputs_per_step", s.getInputsPerStep(), 1, MAX_PROMPTS_PER_STEP);
    } else if (s.getInputsPerStep() < 0) {
      error(path + ".inputs_per_step", "must not be negative, got " + s.getInputsPerStep());
    }
    shaping(path + ".shaping", s.getShaping());
    budget(path + ".budget", s.getBudget());
    evaluation(path + ".evaluation", s.getEvaluation());
    if (s.getCheckpointEverySteps() < 1) {
      error(
          path + ".checkpoint_every_steps",
          "must be at least 1, got " + s.getCheckpointEverySteps());
    }
    if (s.getWarmStartPrompt().length() > 1000) {
      error(path + ".warm_start_prompt", "must be at most 1000 characters");
    }
  }

  private void task(String path, TaskSpec t) {
    switch (t.getTaskCase()) {
      case CLASSIFICATION -> classification(path + ".classification", t.getClassification());
      case STYLE_TRANSFER -> style(path + ".style_transfer", t.getStyleTransfer());
      case IMAGE_INVERSION -> image(path + ".image_inversion", t.getImageInversion());
      case CUSTOM -> custom(path + ".custom", t.getCustom());
      default -> error(path,
          "must be set; add one of classification, style_transfer, image_inversion, custom");
    }
  }

  private void classification(String path, ClassificationTask c) {
    model(path + ".task_model", c.getTaskModel(), "the frozen task LM, e.g. bert-base-uncased");
    if (c.getVerbalizersCount() < 2) {
      error(
          path + ".verbalizers",
          "must list one label word per class (at least 2), got "
              + c.getVerbalizersCount()
              + "; set them, or name a known dataset folder (sst-2, sst-5, agnews, subj, trec)");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.getVerbalizersCount(); i++) {
      String v = c.getVerbalizers(i);
      String p = path + ".verbalizers[" + i + "]";
      if (v.isBlank()) {
        error(p, "must not be empty");
      } else if (!v.strip().equals(v) || v.chars().anyMatch(Character::isWhitespace)) {
        error(
            p,
            "must be a single word without spaces (one token of the task model), got '" + v + "'");
      } else if (!seen.add(v.toLowerCase(Locale.ROOT))) {
        error(p, "duplicates another verbalizer ('" + v + "'); each class needs its own word");
      }
    }
    if (c.getLabelNamesCount() > 0 && c.getLabelNamesCount() != c.getVerbalizersCount()) {
      error(
          path + ".label_names",
          "must have one name per verbalizer ("
              + c.getVerbalizersCount()
              + "), got "
              + c.getLabelNamesCount());
    }
    String t = c.getTemplate();
    if (!t.contains("{prompt}")) {
      error(path + ".template", "must contain {prompt}, got '" + t + "'");
    }
    if (!t.contains("{sentence}")) {
      error(path + ".template", "must contain {sentence}, got '" + t + "'");
    }
    if (t.indexOf("{mask}") != t.lastIndexOf("{mask}")) {
      error(path + ".template", "must contain {mask} at most once, got '" + t + "'");
    }
    if (!(c.getCorrectMultiplier() > 0)) {
      error(
          path + ".correct_multiplier",
          "must be positive (default 200), got " + c.getCorrectMultiplier());
    }
    if (!(c.getIncorrectMultiplier() > 0)) {
      error(
          path + ".incorrect_multiplier",
          "must be positive (default 180), got " + c.getIncorrectMultiplier());
    }
    boolean hasData = c.getData().getSourceCase() != DataSource.SourceCase.SOURCE_NOT_SET;
    if (hasData) {
      if (c.getData().getSourceCase() != DataSource.SourceCase.FEW_SHOT) {
        error(
            path + ".data",
            "classification reads few_shot data; replace it with few_shot: {dir, split_seed}");
      } else {
        if (c.getData().getFewShot().getDir().isBlank()) {
          error(
              path + ".data.few_shot.dir",
              "must name the dataset folder, e.g. ../shared/data/few-shot/sst-2");
        }
        if (c.getData().getFewShot().getSplitSeed() < 1) {
          error(
              path + ".data.few_shot.split_seed",
              "must name the split folder 16-<seed> (100, 13, 21, 42 or 87 for the shared data,"
                  + " 1 for the demo set), got "
                  + c.getData().getFewShot().getSplitSeed());
        }
      }
    } else if (c.getTrainCount() == 0) {
      error(
          path + ".train",
          "must not be empty when no data is named; add data: {few_shot: {dir, split_seed}} or"
              + " inline examples");
    }
    labels(path + ".train", c.getTrainList(), c.getVerbalizersCount());
    labels(path + ".dev", c.getDevList(), c.getVerbalizersCount());
    labels(path + ".test", c.getTestList(), c.getVerbalizersCount());
  }

  private void labels(String path, List<LabeledText> examples, int classes) {
    for (int i = 0; i < examples.size(); i++) {
      LabeledText e = examples.get(i);
      if (e.getLabel() < 0 || (classes > 0 && e.getLabel() >= classes)) {
        error(
            path + "[" + i + "].label",
            "must be between 0 and "
                + (classes - 1)
                + " (one per verbalizer), got "
                + e.getLabel());
      }
      if (e.getText().isBlank()) {
        error(path + "[" + i + "].text", "must not be empty");
      }
    }
  }

  private void style(String path, StyleTransferTask s) {
    model(
        path + ".generator",
        s.getGenerator(),
        "the causal task LM that rewrites sentences, e.g. gpt2 or opt-125m (import it first)");
    model(
        path + ".style_classifier",
        s.getStyleClassifier(),
        "a sentiment classifier giving P(style | y), e.g. yelp-style-classifier (import it first)");
    model(
        path + ".content_model",
        s.getContentModel(),
        "the BERTScore encoder, e.g. bert-base-uncased");
    String t = s.getTemplate();
    if (!t.contains("{prompt}") || !t.contains("{sentence}")) {
      error(path + ".template", "must contain {prompt} and {sentence}, got '" + t + "'");
    }
    if (s.getTargetLabel() < 0) {
      error(path + ".target_label", "must not be negative, got " + s.getTargetLabel());
    }
    if (s.getContentLayer() < 0) {
      error(
          path + ".content_layer",
          "must not be negative (0 = final layer), got " + s.getContentLayer());
    }
    GenerationConfig g = s.getGeneration();
    String gp = path + ".generation";
    range(gp + ".top_k", g.getTopK(), 1, 1_000_000);
    if (!(g.getTemperature() > 0) || Float.isInfinite(g.getTemperature())) {
      error(
          gp + ".temperature",
          "must be a positive number (default 1.0), got " + g.getTemperature());
    }
    range(gp + ".num_samples", g.getNumSamples(), 1, 4096);
    range(gp + ".group_size", g.getGroupSize(), 1, Math.max(1, g.getNumSamples()));
    if (g.getGroupSize() > 0 && g.getNumSamples() % g.getGroupSize() != 0) {
      error(
          gp + ".num_samples",
          "must be a multiple of group_size "
              + g.getGroupSize()
              + " (groups of equal size), got "
              + g.getNumSamples());
    }
    if (g.getMaxNewTokens() < 0) {
      error(
          gp + ".max_new_tokens",
          "must not be negative (0 = the length rule only), got " + g.getMaxNewTokens());
    }
    boolean hasData = s.getData().getSourceCase() != DataSource.SourceCase.SOURCE_NOT_SET;
    if (hasData) {
      if (!s.getData().hasYelpStyle()) {
        error(
            path + ".data",
            "style transfer reads yelp_style data; replace it with yelp_style: {dir,"
                + " source_style}");
      } else {
        var y = s.getData().getYelpStyle();
        if (y.getDir().isBlank()) {
          error(
              path + ".data.yelp_style.dir",
              "must name the folder with sentiment.*.txt, e.g. ../shared/data/style-transfer/yelp");
        }
        if (y.getSourceStyle() != 0 && y.getSourceStyle() != 1) {
          error(
              path + ".data.yelp_style.source_style",
              "must be 0 (negative→positive) or 1 (positive→negative), got " + y.getSourceStyle());
        }
        if (y.getMaxTrain() < 0) {
          error(
              path + ".data.yelp_style.max_train",
              "must not be negative (0 = all), got " + y.getMaxTrain());
        }
        if (y.getMaxTest() < 0) {
          error(
              path + ".data.yelp_style.max_test",
              "must not be negative (0 = all), got " + y.getMaxTest());
        }
      }
    } else if (s.getTrainCount() == 0) {
      error(
          path + ".train",
          "must not be empty when no data is named; add data: {yelp_style: {dir, source_style}} or"
              + " inline sentences");
    }
  }

  private void image(String path, ImageInversionTask im) {
    model(
        path + ".clip",
        im.getClip(),
        "a CLIP model with text and vision towers, e.g. clip-vit-b-32 (import it first)");
    boolean hasData = im.getData().getSourceCase() != DataSource.SourceCase.SOURCE_NOT_SET;
    if (hasData) {
      if (!im.getData().hasImageFolder()) {
        error(
            path + ".data",
            "image inversion reads an image_folder; replace it with image_folder: {dir}");
      } else {
        if (im.getData().getImageFolder().getDir().isBlank()) {
          error(path + ".data.image_folder.dir", "must name a folder of PNG or JPEG images");
        }
        if (im.getData().getImageFolder().getMaxImages() < 0) {
          error(
              path + ".data.image_folder.max_images",
              "must not be negative (0 = all), got "
                  + im.getData().getImageFolder().getMaxImages());
        }
      }
    } else if (im.getTargetsCount() == 0) {
      error(
          path + ".targets",
          "must not be empty when no data is named; add data: {image_folder: {dir}}");
    }
    for (int i = 0; i < im.getTargetsCount(); i++) {
      if (im.getTargets(i).getData().isEmpty()) {
        error(path + ".targets[" + i + "].data", "must hold the encoded PNG or JPEG bytes");
      }
    }
  }

  private void custom(String path, CustomTask c) {
    if (c.getRewardFunction().isBlank()) {
      error(
          path + ".reward_function",
          "must name a reward function registered in the reward service, e.g. keyword");
    }
    labels(path + ".train", c.getTrainList(), 0);
  }

  private void policy(String path, PolicyConfig p, Method m) {
    model(path + ".backbone", p.getBackbone(), "the frozen policy LM, e.g. bert-base-uncased");
    range(path + ".prompt_length", p.getPromptLength(), 1, MAX_PROMPT_LENGTH);
    range(path + ".mlp_hidden_size", p.getMlpHiddenSize(), 1, 8192); // the policy service's limit
    positive(path + ".alpha", p.getAlpha(), "1");
    if (!(p.getGamma() > 0 && p.getGamma() <= 1)) {
      error(path + ".gamma", "must be in (0, 1] (default 1), got " + p.getGamma());
    }
    if (!(p.getInitGain() > 0) || Float.isInfinite(p.getInitGain())) {
      error(path + ".init_gain", "must be positive (default 1e-4), got " + p.getInitGain());
    }
    if (!Float.isFinite(p.getInitBias())) {
      error(path + ".init_bias", "must be a finite number (default -1e-4), got " + p.getInitBias());
    }
    if (m == Method.METHOD_RLPROMPT) {
      if (p.hasSparseTsallis()) {
        error(
            path + ".sparse_tsallis",
            "is PIN's setting but method is rlprompt; use soft_q, or set method: pin");
      } else if (p.hasSoftQ()) {
        range(
            path + ".soft_q.sampling_top_k", p.getSoftQ().getSamplingTopK(), 1, Integer.MAX_VALUE);
        if (!Float.isFinite(p.getSoftQ().getLogitBias())) {
          error(
              path + ".soft_q.logit_bias",
              "must be a finite number, got " + p.getSoftQ().getLogitBias());
        }
      } else {
        error(path + ".soft_q", "must be set for method rlprompt");
      }
    }
    if (m == Method.METHOD_PIN) {
      if (p.hasSoftQ()) {
        error(
            path + ".soft_q",
            "is RLPrompt's setting but method is pin; use sparse_tsallis, or set method: rlprompt");
      } else if (p.hasSparseTsallis()) {
        var f = p.getSparseTsallis().getLmFilter();
        if (!f.getDisabled()) {
          range(path + ".sparse_tsallis.lm_filter.top_k", f.getTopK(), 1, Integer.MAX_VALUE);
          if (!(f.getIgnoredValue() < 0) || !Float.isFinite(f.getIgnoredValue())) {
            error(
                path + ".sparse_tsallis.lm_filter.ignored_value",
                "must be a finite negative number (default -1000), got " + f.getIgnoredValue());
          }
        }
      } else {
        error(path + ".sparse_tsallis", "must be set for method pin");
      }
    }
    AdamConfig a = p.getOptimizer();
    String ap = path + ".optimizer";
    positive(ap + ".learning_rate", a.getLearningRate(), "5e-5");
    if (Float.isNaN(a.getMaxGradNorm())) {
      error(ap + ".max_grad_norm", "must be a number (default 5; negative disables clipping)");
    }
    if (!(a.getBeta1() >= 0 && a.getBeta1() < 1)) {
      error(ap + ".beta1", "must be in [0, 1) (default 0.9), got " + a.getBeta1());
    }
    if (!(a.getBeta2() >= 0 && a.getBeta2() < 1)) {
      error(ap + ".beta2", "must be in [0, 1) (default 0.999), got " + a.getBeta2());
    }
    positive(ap + ".epsilon", a.getEpsilon(), "1e-8");
    if (!(p.getTargetPolyak() > 0 && p.getTargetPolyak() <= 1)) {
      error(
          path + ".target_polyak", "must be in (0, 1] (default 0.001), got " + p.getTargetPolyak());
    }
    if (!(p.getPriorWeight() >= 0 && p.getPriorWeight() <= 100)) {
      error(path + ".prior_weight", "must be in [0, 100] (default 0, the papers), got "
          + p.getPriorWeight());
    }
    ReplayConfig r = p.getReplay();
    if (r.getEnabled()) {
      String rp = path + ".replay";
      range(rp + ".capacity", r.getCapacity(), 1, 10_000_000);
      range(rp + ".batch_size", r.getBatchSize(), 1, 1_000_000);
      range(rp + ".updates_per_step", r.getUpdatesPerStep(), 0, 64);
      if (r.getWarmup() < 1 || (r.getCapacity() > 0 && r.getWarmup() > r.getCapacity())) {
        error(
            rp + ".warmup",
            "must be between 1 and capacity " + r.getCapacity() + ", got " + r.getWarmup());
      }
    }
  }

  private void pez(String path, PezConfig p) {
    range(path + ".prompt_length", p.getPromptLength(), 1, MAX_PROMPT_LENGTH);
    positive(path + ".learning_rate", p.getLearningRate(), "0.1 for CLIP, 0.3 for LMs");
    if (!(p.getWeightDecay() >= 0) || Float.isInfinite(p.getWeightDecay())) {
      error(path + ".weight_decay", "must be 0 or more (default 0.1), got " + p.getWeightDecay());
    }
    if (!(p.getFluencyWeight() >= 0 && p.getFluencyWeight() <= 1)) {
      error(path + ".fluency_weight", "must be in [0, 1], got " + p.getFluencyWeight());
    }
  }

  private void shaping(String path, RewardShaping s) {
    if (!Float.isFinite(s.getScale()) || s.getScale() == 0) {
      error(path + ".scale", "must be a finite non-zero number, got " + s.getScale());
    }
    if (!Float.isFinite(s.getShift())) {
      error(path + ".shift", "must be a finite number, got " + s.getShift());
    }
    float lambda = s.getPerplexityPenalty().getLambda();
    if (!(lambda >= 0) || Float.isInfinite(lambda)) {
      error(path + ".perplexity_penalty.lambda", "must be 0 (off) or positive, got " + lambda);
    }
  }

  private void budget(String path, Budget b) {
    if (b.getMaxSteps() < 1) {
      error(path + ".max_steps", "must be at least 1, got " + b.getMaxSteps());
    }
    if (b.getMaxDuration().getSeconds() < 0 || b.getMaxDuration().getNanos() < 0) {
      error(path + ".max_duration", "must not be negative");
    }
    if (b.getEarlyStoppingPatience() < 0) {
      error(
          path + ".early_stopping_patience",
          "must not be negative (0 = never), got " + b.getEarlyStoppingPatience());
    }
  }

  private void evaluation(String path, EvaluationConfig e) {
    if (e.getEverySteps() < 1) {
      error(path + ".every_steps", "must be at least 1, got " + e.getEverySteps());
    }
    range(path + ".top_prompts", e.getTopPrompts(), 1, 1000);
  }

  private void model(String path, ModelRef m, String what) {
    if (m.getName().isBlank()) {
      error(path + ".name", "must name " + what);
    } else if (ModelStore.nameProblem(m.getName()) != null) {
      error(path + ".name", ModelStore.nameProblem(m.getName()));
    }
  }

  private void range(String path, long value, long min, long max) {
    if (value < min || value > max) {
      error(path, "must be between " + min + " and " + max + ", got " + value);
    }
  }

  private void positive(String path, float value, String dflt) {
    if (!(value > 0) || Float.isInfinite(value)) {
      error(path, "must be a positive number (default " + dflt + "), got " + value);
    }
  }

  private void error(String path, String message) {
    errors.add(path + ": " + message);
  }
}
