package dev.pin.orchestrator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.RunSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunSpecValidatorTest {

  @Test
  void namesEveryFieldPathAndCollectsAll() {
    RunSpec s =
        RunDefaults.apply(
            RunSpecYaml.parse(
                """
                method: pin
                task:
                  classification:
                    data: { few_shot: { dir: sst-2 } }
                prompts_per_step: -4
                budget: { max_steps: -5 }
                evaluation: { top_prompts: 5000 }
                """));
    List<String> problems = RunSpecValidator.validate(s);
    List<String> expected =
        List.of(
            "spec.task.classification.data.few_shot.split_seed: must name the split folder"
                + " 16-<seed> (100, 13, 21, 42 or 87 for the shared data, 1 for the demo set),"
                + " got 0",
            "spec.prompts_per_step: must be between 1 and 4096, got -4",
            "spec.budget.max_steps: must be at least 1, got -5",
            "spec.evaluation.top_prompts: must be between 1 and 1000, got 5000");
    assertEquals(expected, problems);
    SpecException e = assertThrows(SpecException.class, () -> RunSpecValidator.check(s));
    assertEquals(expected, e.problems());
  }

  @Test
  void zeroIsAnErrorWhenDefaultsWereNotApplied() {
    RunSpec raw =
        RunSpecYaml.parse(
            "method: pin\ntask: { classification: { verbalizers: [a, b], train: [{text: x}] } }\n"
                + "policy: { sparse_tsallis: {} }\n");
    List<String> problems = RunSpecValidator.validate(raw);
    assertTrue(
        problems.contains("spec.prompts_per_step: must be between 1 and 4096, got 0"),
        problems.toString());
    assertTrue(
        problems.contains("spec.budget.max_steps: must be at least 1, got 0"),
        problems.toString());
  }

  @Test
  void thePolicyAndTheTasksSettingsAreTheServicesToCheck() {
    // prompt_length, verbalizers and template are checked once, by the policy and reward
    // services that own them (StartRun asks them before it stores a run).
    RunSpec s =
        RunDefaults.apply(
            RunSpecYaml.parse(
                "method: pin\ntask: { classification: { verbalizers: [a, a], template: x,"
                    + " train: [{text: x, label: 7}] } }\npolicy: { prompt_length: 500 }\n"));
    assertEquals(List.of(), RunSpecValidator.validate(s));
  }

  @Test
  void missingMethodTaskAndModels() {
    List<String> problems =
        RunSpecValidator.validate(RunDefaults.apply(RunSpec.getDefaultInstance()));
    assertTrue(problems.contains(
        "spec.method: must be set; use one of rlprompt, pin, pez, soft_prompt"));
    assertTrue(
        problems.contains(
            "spec.task: must be set; add one of classification, style_transfer, image_inversion,"
                + " custom"));
    RunSpec style =
        RunDefaults.apply(
            RunSpecYaml.parse(
                "method: pin\n"
                    + "task: { style_transfer: { data: { yelp_style: { dir: y, source_style: 2 } }"
                    + " } }"));
    List<String> sp = RunSpecValidator.validate(style);
    assertEquals(
        List.of(
            "spec.task.style_transfer.data.yelp_style.source_style: must be 0"
                + " (negative→positive) or 1 (positive→negative), got 2"),
        sp);
    RunSpec image =
        RunDefaults.apply(RunSpecYaml.parse("method: pez\ntask: { image_inversion: {} }"));
    List<String> ip = RunSpecValidator.validate(image);
    assertEquals(
        List.of(
            "spec.task.image_inversion.targets: must not be empty when no data is named; add"
                + " data: {image_folder: {dir}}"),
        ip);
  }

  /** §7.1's defaults fill unset PEZ fields; one set to 0 is kept, and checked. */
  @Test
  void pezTakesSection71DefaultsAndChecksExplicitZeros() {
    RunSpec defaults = RunDefaults.apply(RunSpecYaml.parse(
        "method: pez\ntask: { classification: { data: { few_shot: { dir: sst-2, split_seed: 42 }"
            + " } } }"));
    assertEquals(List.of(), RunSpecValidator.validate(defaults));
    assertEquals(10, defaults.getPez().getPromptLength());
    assertEquals(0.3f, defaults.getPez().getLearningRate());
    assertEquals(0.1f, defaults.getPez().getWeightDecay());
    assertEquals(0f, defaults.getPez().getFluencyWeight());
    assertEquals(5_000, defaults.getBudget().getMaxSteps());
    assertEquals(1, defaults.getPromptsPerStep(), "PEZ trains one prompt");
    // The policy service trains PEZ through the task model, with the run's settings and seed.
    assertEquals(RunDefaults.DEFAULT_MODEL, defaults.getPolicy().getBackbone().getName());
    assertEquals(defaults.getPez(), defaults.getPolicy().getPez());

    RunSpec zeros = RunDefaults.apply(RunSpecYaml.parse("""
        method: pez
        task: { classification: { data: { few_shot: { dir: sst-2, split_seed: 42 } } } }
        pez: { prompt_length: 0, learning_rate: 0, weight_decay: 0, fluency_weight: 2 }
        prompts_per_step: 3
        warm_start_prompt: it was
        shaping: { perplexity_penalty: { lambda: 1 } }
        """));
    assertEquals(0f, zeros.getPez().getWeightDecay(), "0 is a weight decay, not the default");
    assertEquals(List.of(
        "spec.pez.prompt_length: must be between 1 and 64, got 0",
        "spec.pez.learning_rate: must be a positive number (default 0.3 for LMs, 0.1 for CLIP),"
            + " got 0.0",
        "spec.pez.fluency_weight: must be in [0, 1], got 2.0",
        "spec.prompts_per_step: PEZ trains one prompt, so 1 (the default), got 3",
        "spec.warm_start_prompt: is not supported with PEZ yet: its prompt starts from L random"
            + " tokens (§7.1)",
        "spec.shaping.perplexity_penalty: PEZ learns from the task loss, not from rewards; its"
            + " fluency term is spec.pez.fluency_weight (§7.1, §7.2)"),
        RunSpecValidator.validate(zeros));
  }

  /**
   * A soft prompt takes PEZ's LM defaults (§7.1) in its own settings, trains through the task
   * model like PEZ, and what it cannot take is refused by path.
   */
  @Test
  void softPromptsTakePezsLmDefaultsAndRefuseWhatTheyCannotTake() {
    RunSpec defaults = RunDefaults.apply(RunSpecYaml.parse(
        "method: soft_prompt\ntask: { classification: { data: { few_shot: { dir: sst-2, "
            + "split_seed: 42 } } } }"));
    assertEquals(List.of(), RunSpecValidator.validate(defaults));
    assertEquals(10, defaults.getSoftPrompt().getPromptLength());
    assertEquals(0.3f, defaults.getSoftPrompt().getLearningRate());
    assertEquals(0.1f, defaults.getSoftPrompt().getWeightDecay());
    assertEquals(5_000, defaults.getBudget().getMaxSteps());
    assertEquals(1, defaults.getPromptsPerStep());
    assertEquals(RunDefaults.DEFAULT_MODEL, defaults.getPolicy().getBackbone().getName());
    assertEquals(defaults.getSoftPrompt(), defaults.getPolicy().getSoftPrompt());
    assertEquals(false, defaults.getPolicy().hasPez());

    RunSpec bad = RunDefaults.apply(RunSpecYaml.parse("""
        method: soft_prompt
        task: { classification: { data: { few_shot: { dir: sst-2, split_seed: 42 } } } }
        soft_prompt: { prompt_length: 0, learning_rate: 0, weight_decay: -1 }
        pez: { prompt_length: 3 }
        prompts_per_step: 2
        warm_start_prompt: it was
        shaping: { perplexity_penalty: { lambda: 1 } }
        evaluation: { also_best_sampled: true }
        """));
    assertEquals(0f, bad.getSoftPrompt().getLearningRate(), "0 is checked, not the default");
    assertEquals(List.of(
        "spec.soft_prompt.prompt_length: must be between 1 and 64, got 0",
        "spec.soft_prompt.learning_rate: must be a positive number (default 0.3), got 0.0",
        "spec.soft_prompt.weight_decay: must be 0 or more (default 0.1), got -1.0",
        "spec.pez: is PEZ's; a soft prompt's settings are spec.soft_prompt (prompt_length,"
            + " learning_rate, weight_decay)",
        "spec.prompts_per_step: a soft prompt trains one prompt, so 1 (the default), got 2",
        "spec.warm_start_prompt: is not supported with soft prompts: the prompt starts from the"
            + " embeddings of L random tokens, like PEZ's (§7.1)",
        "spec.shaping.perplexity_penalty: a soft prompt learns from the task loss, not from"
            + " rewards, and has no text whose perplexity could be penalised",
        "spec.evaluation.also_best_sampled: a soft prompt is scored as its continuous vectors,"
            + " which exist for the current step only; leave it false"),
        RunSpecValidator.validate(bad));
  }

  /**
   * PEZ on image inversion takes §7.1's CLIP defaults in the same spec fields (L = 16, lr 0.1,
   * weight decay 0.1, 3 000 steps), trains through the task's CLIP, and refuses a fluency weight
   * (no LM on CLIP's vocabulary); a soft prompt on image inversion is refused by path.
   */
  @Test
  void pezOnImageInversionTakesClipDefaultsAndSoftPromptsAreRefused() {
    String task = "task: { image_inversion: { clip: { name: clip-vit-b-32 },"
        + " data: { image_folder: { dir: images } } } }\n";
    RunSpec defaults = RunDefaults.apply(RunSpecYaml.parse("method: pez\n" + task));
    assertEquals(List.of(), RunSpecValidator.validate(defaults));
    assertEquals(16, defaults.getPez().getPromptLength());
    assertEquals(0.1f, defaults.getPez().getLearningRate());
    assertEquals(0.1f, defaults.getPez().getWeightDecay());
    assertEquals(3_000, defaults.getBudget().getMaxSteps());
    assertEquals(1, defaults.getPromptsPerStep());
    assertEquals("clip-vit-b-32", defaults.getPolicy().getBackbone().getName());
    assertEquals(dev.pin.v1.TaskType.TASK_TYPE_IMAGE_INVERSION,
        defaults.getPolicy().getTaskType());

    RunSpec fluent = RunDefaults.apply(RunSpecYaml.parse("method: pez\n" + task
        + "pez: { fluency_weight: 0.5 }\n"));
    assertEquals(List.of("spec.pez.fluency_weight: must be 0 for image inversion: §7.1's fluency"
        + " term is the prompt's NLL under a language model, and CLIP's text tower is none (no LM"
        + " here shares CLIP's vocabulary), got 0.5"), RunSpecValidator.validate(fluent));
    List<String> soft = RunSpecValidator.validate(
        RunDefaults.apply(RunSpecYaml.parse("method: soft_prompt\n" + task)));
    assertEquals(1, soft.size(), soft.toString());
    assertTrue(soft.get(0).startsWith("spec.task: a soft prompt trains few-shot classification "
        + "only"), soft.get(0));
  }
}
