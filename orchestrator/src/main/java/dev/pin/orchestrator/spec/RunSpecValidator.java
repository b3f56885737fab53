package dev.pin.orchestrator.spec;

import dev.pin.v1.Budget;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluationConfig;
import dev.pin.v1.ImageInversionTask;
import dev.pin.v1.Method;
import dev.pin.v1.PezConfig;
import dev.pin.v1.SoftPromptConfig;
import dev.pin.v1.RewardShaping;
import dev.pin.v1.RunSpec;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the orchestrator's part of a run spec (after {@link RunDefaults#apply}) and reports every
 * problem at once, each as {@code <field path>: <what is wrong>, <what to do>}, e.g. {@code
 * spec.budget.max_steps: must be at least 1, got 0}. Because defaults are filled first, a zero left
 * in a field that needs a value is an error here. The policy config and the task's settings
 * (models, verbalizers, template, generation) are checked by the services that own them, which
 * StartRun asks before it stores a run; here only what the orchestrator itself reads: its own
 * settings and the task's data sources. File contents are not read (that is {@code
 * TaskDataLoader}'s job, with file and line in its errors).
 */
public final class RunSpecValidator {
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
      error(path + ".method", "must be set; use one of rlprompt, pin, pez, soft_prompt");
    }
    task(path + ".task", s.getTask());
    if (m == Method.METHOD_PEZ) {
      pez(path, s);
    } else if (m == Method.METHOD_SOFT_PROMPT) {
      softPrompt(path, s);
    } else {
      range(path + ".prompts_per_step", s.getPromptsPerStep(), 1, MAX_PROMPTS_PER_STEP);
    }
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
      case CUSTOM -> { } // inline examples only: the reward service checks them
      default -> error(path,
          "must be set; add one of classification, style_transfer, image_inversion, custom");
    }
  }

  private void classification(String path, ClassificationTask c) {
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
  }

  private void style(String path, StyleTransferTask s) {
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
  }

  /**
   * PEZ's settings (§7.1) and what a PEZ run cannot take. The policy service, which trains PEZ as
   * it does RLPrompt and PIN, checks the same ranges (its PolicyRequests); PezConfig's fields have
   * presence, so an explicit 0 is checked, not replaced by the default.
   */
  private void pez(String path, RunSpec s) {
    PezConfig p = s.getPez();
    String f = path + ".pez";
    range(f + ".prompt_length", p.getPromptLength(), 1, 64);
    positive(f + ".learning_rate", p.getLearningRate(), "0.3 for LMs, 0.1 for CLIP");
    if (!(p.getWeightDecay() >= 0) || Float.isInfinite(p.getWeightDecay())) {
      error(f + ".weight_decay", "must be 0 or more (default 0.1), got " + p.getWeightDecay());
    }
    if (!(p.getFluencyWeight() >= 0 && p.getFluencyWeight() <= 1)) {
      error(f + ".fluency_weight", "must be in [0, 1], got " + p.getFluencyWeight());
    }
    if (s.getTask().hasStyleTransfer() || s.getTask().hasCustom()) {
      error(path + ".task", "PEZ (§7.1) trains few-shot classification and image inversion "
          + "through the task model's gradients; a style-transfer or custom reward has none: use "
          + "rlprompt or pin");
    }
    if (s.getTask().hasImageInversion() && p.getFluencyWeight() > 0) {
      error(f + ".fluency_weight", "must be 0 for image inversion: §7.1's fluency term is the "
          + "prompt's NLL under a language model, and CLIP's text tower is none (no LM here "
          + "shares CLIP's vocabulary), got " + p.getFluencyWeight());
    }
    if (s.hasSoftPrompt()) {
      error(path + ".soft_prompt", "is soft prompts' (method soft_prompt); PEZ's settings are "
          + "spec.pez");
    }
    if (s.getPromptsPerStep() != 1) {
      error(path + ".prompts_per_step", "PEZ trains one prompt, so 1 (the default), got "
          + s.getPromptsPerStep());
    }
    if (!s.getWarmStartPrompt().isEmpty()) {
      error(path + ".warm_start_prompt", "is not supported with PEZ yet: its prompt starts "
          + "from L random tokens (§7.1)");
    }
    if (s.getShaping().getPerplexityPenalty().getLambda() > 0) {
      error(path + ".shaping.perplexity_penalty", "PEZ learns from the task loss, not from "
          + "rewards; its fluency term is spec.pez.fluency_weight (§7.1, §7.2)");
    }
  }

  /**
   * A soft prompt's settings (Lester et al. 2021; PEZ's without the projection) and what such a
   * run cannot take. The policy service checks the same ranges.
   */
  private void softPrompt(String path, RunSpec s) {
    SoftPromptConfig p = s.getSoftPrompt();
    String f = path + ".soft_prompt";
    range(f + ".prompt_length", p.getPromptLength(), 1, 64);
    positive(f + ".learning_rate", p.getLearningRate(), "0.3");
    if (!(p.getWeightDecay() >= 0) || Float.isInfinite(p.getWeightDecay())) {
      error(f + ".weight_decay", "must be 0 or more (default 0.1), got " + p.getWeightDecay());
    }
    if (s.hasPez()) {
      error(path + ".pez", "is PEZ's; a soft prompt's settings are spec.soft_prompt "
          + "(prompt_length, learning_rate, weight_decay)");
    }
    if (s.getTask().hasImageInversion()) {
      error(path + ".task", "a soft prompt trains few-shot classification only: its scores are "
          + "its continuous prompt's, which the policy service computes on classification "
          + "examples, and an image inversion's reward reads a prompt as text; use pez (§7.1), "
          + "whose projected prompt the reward service scores");
    } else if (!s.getTask().hasClassification()) {
      error(path + ".task", "a soft prompt trains few-shot classification through the task "
          + "model's gradients; a style-transfer or custom reward has none: use rlprompt or pin");
    }
    if (s.getPromptsPerStep() != 1) {
      error(path + ".prompts_per_step", "a soft prompt trains one prompt, so 1 (the default), "
          + "got " + s.getPromptsPerStep());
    }
    if (!s.getWarmStartPrompt().isEmpty()) {
      error(path + ".warm_start_prompt", "is not supported with soft prompts: the prompt starts "
          + "from the embeddings of L random tokens, like PEZ's (§7.1)");
    }
    if (s.getShaping().getPerplexityPenalty().getLambda() > 0) {
      error(path + ".shaping.perplexity_penalty", "a soft prompt learns from the task loss, not "
          + "from rewards, and has no text whose perplexity could be penalised");
    }
    if (s.getEvaluation().getAlsoBestSampled()) {
      error(path + ".evaluation.also_best_sampled", "a soft prompt is scored as its continuous "
          + "vectors, which exist for the current step only; leave it false");
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
