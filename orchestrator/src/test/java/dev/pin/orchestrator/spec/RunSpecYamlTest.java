package dev.pin.orchestrator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.CustomTask;
import dev.pin.v1.Method;
import dev.pin.v1.PinLoss;
import dev.pin.v1.RunSpec;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.ZScore;
import org.junit.jupiter.api.Test;

class RunSpecYamlTest {

  @Test
  void mapsFieldsEnumsAndDurations() {
    RunSpec s =
        RunSpecYaml.parse(
            """
            name: x
            method: PIN
            task:
              classification:
                task_model: { name: bert-base-uncased, precision: int8 }
                verbalizers: [terrible, great]
                train:
                  - { text: "a fine film", label: 1 }
                data: { few_shot: { dir: d, split_seed: 13 } }
            policy:
              promptLength: 7
              optimizer: { learning_rate: 5e-5, max_grad_norm: 5 }
              sparse_tsallis: { loss: algorithm1, lm_filter: { top_k: 12_000 } }
            shaping: { z_score: off, scale: 2 }
            budget: { max_steps: 100, max_duration: 1h30m }
            seed: 12345678901
            """);
    assertEquals("x", s.getName());
    assertEquals(Method.METHOD_PIN, s.getMethod());
    assertEquals(
        dev.pin.v1.ModelPrecision.MODEL_PRECISION_INT8,
        s.getTask().getClassification().getTaskModel().getPrecision());
    assertEquals(1, s.getTask().getClassification().getTrain(0).getLabel());
    assertEquals(13, s.getTask().getClassification().getData().getFewShot().getSplitSeed());
    assertEquals(7, s.getPolicy().getPromptLength());
    assertEquals(5e-5f, s.getPolicy().getOptimizer().getLearningRate());
    assertEquals(PinLoss.PIN_LOSS_ALGORITHM1, s.getPolicy().getSparseTsallis().getLoss());
    assertEquals(12000, s.getPolicy().getSparseTsallis().getLmFilter().getTopK());
    assertEquals(ZScore.Z_SCORE_OFF, s.getShaping().getZScore());
    assertEquals(5400, s.getBudget().getMaxDuration().getSeconds());
    assertEquals(12345678901L, s.getSeed());
  }

  @Test
  void enumShortAndFullNamesAndMapFields() {
    RunSpec s =
        RunSpecYaml.parse(
            """
            method: METHOD_RLPROMPT
            policy: { soft_q: { loss: v2-v3-mixed } }
            shaping: { z_score: "on" }
            task:
              custom:
                reward_function: keyword
                params: { keywords: "great,good", limit: 3 }
            """);
    assertEquals(Method.METHOD_RLPROMPT, s.getMethod());
    assertEquals(SqlLoss.SQL_LOSS_V2_V3_MIXED, s.getPolicy().getSoftQ().getLoss());
    assertEquals(ZScore.Z_SCORE_ON, s.getShaping().getZScore());
    CustomTask c = s.getTask().getCustom();
    assertEquals("great,good", c.getParamsOrThrow("keywords"));
    assertEquals("3", c.getParamsOrThrow("limit"));
  }

  @Test
  void collectsEveryProblemWithItsPath() {
    SpecException e =
        assertThrows(
            SpecException.class,
            () ->
                RunSpecYaml.parse(
                    """
                    method: pni
                    prompts_per_stp: 3
                    policy:
                      prompt_length: five
                      soft_q: {}
                      sparse_tsallis: {}
                    task:
                      classification:
                        verbalizers: terrible
                    budget: { max_duration: soon }
                    """));
    assertEquals(6, e.problems().size(), e.getMessage());
    assertTrue(
        e.problems().contains("spec.method: unknown Method 'pni'; use one of rlprompt, pin, pez, "
            + "soft_prompt"),
        e.getMessage());
    assertEquals(
        "spec.prompts_per_stp: unknown field of RunSpec; did you mean prompts_per_step?",
        e.problems().get(1));
    assertTrue(
        e.problems().contains("spec.policy.prompt_length: expected an integer, found 'five'"),
        e.getMessage());
    assertTrue(
        e.problems()
            .contains(
                "spec.policy.sparse_tsallis: only one of soft_q, sparse_tsallis, pez, soft_prompt"
                    + " may be set; soft_q is already set"),
        e.getMessage());
    assertTrue(
        e.problems()
            .contains("spec.task.classification.verbalizers: expected a list, found a string"),
        e.getMessage());
    assertTrue(e.problems().get(5).startsWith("spec.budget.max_duration: expected a duration"));
    assertTrue(e.getMessage().startsWith("run spec has 6 problems:"));
  }

  @Test
  void rejectsNonMappingsDuplicatesAndOutOfRangeIntegers() {
    assertThrows(SpecException.class, () -> RunSpecYaml.parse("- a\n- b\n"));
    assertThrows(SpecException.class, () -> RunSpecYaml.parse(""));
    SpecException dup =
        assertThrows(SpecException.class, () -> RunSpecYaml.parse("name: a\nname: b\n"));
    assertTrue(dup.getMessage().contains("not valid YAML"), dup.getMessage());
    SpecException big =
        assertThrows(SpecException.class, () -> RunSpecYaml.parse("prompts_per_step: 3000000000"));
    assertEquals(
        "spec.prompts_per_step: expected a 32-bit integer, got 3000000000", big.getMessage());
    SpecException frac =
        assertThrows(SpecException.class, () -> RunSpecYaml.parse("prompts_per_step: 2.5"));
    assertEquals(
        "spec.prompts_per_step: expected an integer, found a number 2.5", frac.getMessage());
  }

  @Test
  void farOffFieldNamesListTheKnownFields() {
    SpecException e = assertThrows(SpecException.class, () -> RunSpecYaml.parse("colour: red"));
    assertTrue(
        e.getMessage()
            .startsWith("spec.colour: unknown field of RunSpec; known fields: name, method, task,"),
        e.getMessage());
  }

  @Test
  void enumPrefixesFollowTheProtoStyleGuide() {
    assertEquals("Z_SCORE_", ProtoYaml.enumPrefix(ZScore.getDescriptor()));
    assertEquals("SQL_LOSS_", ProtoYaml.enumPrefix(SqlLoss.getDescriptor()));
    assertEquals("METHOD_", ProtoYaml.enumPrefix(Method.getDescriptor()));
    assertEquals(java.util.List.of("rlprompt", "pin", "pez", "soft_prompt"),
        RunSpecYaml.methodNames());
  }
}
