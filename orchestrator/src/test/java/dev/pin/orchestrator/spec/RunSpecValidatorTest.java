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
                    verbalizers: [terrible, "", "very good", Terrible]
                    label_names: [neg, pos]
                    template: "{sentence} {mask}"
                    data: { few_shot: { dir: sst-2, split_seed: 42 } }
                policy: { prompt_length: -1, soft_q: {} }
                prompts_per_step: -4
                budget: { max_steps: -5 }
                """));
    List<String> problems = RunSpecValidator.validate(s);
    List<String> expected =
        List.of(
            "spec.task.classification.verbalizers[1]: must not be empty",
            "spec.task.classification.verbalizers[2]: must be a single word without spaces (one"
                + " token of the task model), got 'very good'",
            "spec.task.classification.verbalizers[3]: duplicates another verbalizer ('Terrible');"
                + " each class needs its own word",
            "spec.task.classification.label_names: must have one name per verbalizer (4), got 2",
            "spec.task.classification.template: must contain {prompt}, got '{sentence} {mask}'",
            "spec.policy.prompt_length: must be between 1 and 64, got -1",
            "spec.policy.soft_q: is RLPrompt's setting but method is pin; use sparse_tsallis, or"
                + " set method: rlprompt",
            "spec.prompts_per_step: must be between 1 and 4096, got -4",
            "spec.budget.max_steps: must be at least 1, got -5");
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
        problems.contains("spec.policy.prompt_length: must be between 1 and 64, got 0"),
        problems.toString());
    assertTrue(
        problems.contains(
            "spec.policy.backbone.name: must name the frozen policy LM, e.g. bert-base-uncased"),
        problems.toString());
  }

  @Test
  void missingMethodTaskAndModels() {
    List<String> problems =
        RunSpecValidator.validate(RunDefaults.apply(RunSpec.getDefaultInstance()));
    assertTrue(problems.contains("spec.method: must be set; use one of rlprompt, pin, pez"));
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
    assertTrue(
        sp.contains(
            "spec.task.style_transfer.generator.name: must name the causal task LM"
                + " that rewrites sentences, e.g. gpt2 or opt-125m (import it first)"),
        sp.toString());
    assertTrue(
        sp.stream().anyMatch(p -> p.startsWith("spec.task.style_transfer.style_classifier.name:")));
    assertTrue(
        sp.contains(
            "spec.task.style_transfer.data.yelp_style.source_style: must be 0"
                + " (negative→positive) or 1 (positive→negative), got 2"),
        sp.toString());
    RunSpec image =
        RunDefaults.apply(RunSpecYaml.parse("method: pez\ntask: { image_inversion: {} }"));
    List<String> ip = RunSpecValidator.validate(image);
    assertEquals(
        List.of(
            "spec.task.image_inversion.clip.name: must name a CLIP model with text and vision"
                + " towers, e.g. clip-vit-b-32 (import it first)",
            "spec.task.image_inversion.targets: must not be empty when no data is named; add"
                + " data: {image_folder: {dir}}"),
        ip);
  }

  @Test
  void fewShotDataNeedsASplitSeed() {
    RunSpec s =
        RunDefaults.apply(
            RunSpecYaml.parse(
                "method: pin\ntask: { classification: { data: { few_shot: { dir: sst-2 } } } }"));
    assertEquals(
        List.of(
            "spec.task.classification.data.few_shot.split_seed: must name the split folder"
                + " 16-<seed> (100, 13, 21, 42 or 87 for the shared data, 1 for the demo set),"
                + " got 0"),
        RunSpecValidator.validate(s));
  }

  @Test
  void inlineLabelsMustFitTheVerbalizers() {
    RunSpec s =
        RunDefaults.apply(
            RunSpecYaml.parse(
                "method: rlprompt\ntask: { classification: { verbalizers: [a, b],"
                    + " train: [{text: x, label: 1}, {text: y, label: 2}] } }"));
    assertEquals(
        List.of(
            "spec.task.classification.train[1].label: must be between 0 and 1 (one per"
                + " verbalizer), got 2"),
        RunSpecValidator.validate(s));
  }
}
