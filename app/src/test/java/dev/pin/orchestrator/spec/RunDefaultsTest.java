package dev.pin.orchestrator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.ClassificationTask;
import dev.pin.v1.Method;
import dev.pin.v1.PinLoss;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.RunSpec;
import dev.pin.v1.SqlLoss;
import dev.pin.v1.ZScore;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunDefaultsTest {

  private static RunSpec classification(String method, String dir) {
    return RunSpecYaml.parse(
        "method: "
            + method
            + "\ntask: { classification: { data: { few_shot: { dir: "
            + dir
            + ", split_seed: 42 } } } }\n");
  }

  @Test
  void pinClassification() {
    RunSpec s = ServiceDefaults.onBert(classification("pin", "../shared/data/few-shot/sst-2"));
    PolicyConfig p = s.getPolicy();
    assertEquals("bert-base-uncased", p.getBackbone().getName());
    assertEquals(5, p.getPromptLength());
    assertEquals(16, s.getPromptsPerStep());
    assertEquals(PinLoss.PIN_LOSS_V1, p.getSparseTsallis().getLoss());
    assertEquals(6104, p.getSparseTsallis().getLmFilter().getTopK()); // 20 % of BERT's 30 522
    assertEquals(-1000f, p.getSparseTsallis().getLmFilter().getIgnoredValue());
    assertTrue(p.getReplay().getEnabled());
    assertEquals(64_000, p.getReplay().getCapacity());
    assertEquals(256, p.getReplay().getBatchSize());
    assertEquals(256, p.getReplay().getWarmup());
    assertEquals(0.001f, p.getTargetPolyak());
    assertEquals(5e-5f, p.getOptimizer().getLearningRate());
    assertEquals(5f, p.getOptimizer().getMaxGradNorm());
    assertEquals(2048, p.getMlpHiddenSize());
    assertEquals(1e-4f, p.getInitGain());
    assertEquals(-1e-4f, p.getInitBias());
    assertEquals(ZScore.Z_SCORE_ON, s.getShaping().getZScore());
    assertEquals(1f, s.getShaping().getScale());
    assertEquals(0f, s.getShaping().getShift());
    assertEquals(6000, s.getBudget().getMaxSteps());
    ClassificationTask c = s.getTask().getClassification();
    assertEquals("bert-base-uncased", c.getTaskModel().getName());
    assertEquals("{sentence} {prompt} {mask} .", c.getTemplate());
    assertEquals(List.of("terrible", "great"), c.getVerbalizersList());
    assertEquals(List.of("negative", "positive"), c.getLabelNamesList());
    assertEquals(200f, c.getCorrectMultiplier());
    assertEquals(180f, c.getIncorrectMultiplier());
    assertEquals(50, s.getEvaluation().getEverySteps());
    assertEquals(3, s.getEvaluation().getTopPrompts());
    assertEquals(100, s.getCheckpointEverySteps());
    assertEquals(List.of(), RunSpecValidator.validate(s));
  }

  @Test
  void theOrchestratorLeavesThePolicysAndTheTasksSettingsToTheirServices() {
    RunSpec s = RunDefaults.apply(classification("pin", "sst-2"));
    assertEquals(PolicyConfig.newBuilder()
        .setBackbone(dev.pin.v1.ModelRef.newBuilder().setName("bert-base-uncased"))
        .setSparseTsallis(dev.pin.v1.SparseTsallisConfig.getDefaultInstance())
        .setTaskType(dev.pin.v1.TaskType.TASK_TYPE_CLASSIFICATION)
        .build(), s.getPolicy());
    ClassificationTask c = s.getTask().getClassification();
    assertEquals("", c.getTemplate());
    assertEquals(0f, c.getCorrectMultiplier());
    assertEquals(List.of("terrible", "great"), c.getVerbalizersList());
  }

  @Test
  void rlpromptClassification() {
    RunSpec s = ServiceDefaults.onBert(classification("rlprompt", "data/sst-2"));
    PolicyConfig p = s.getPolicy();
    assertEquals(SqlLoss.SQL_LOSS_V2_V3_MIXED, p.getSoftQ().getLoss());
    assertEquals(256, p.getSoftQ().getSamplingTopK());
    assertEquals(0f, p.getSoftQ().getLogitBias());
    assertFalse(p.getReplay().getEnabled());
    assertEquals(5f, s.getShaping().getScale());
    assertEquals(0f, s.getShaping().getShift());
    assertEquals(12000, s.getBudget().getMaxSteps());
    assertEquals(16, s.getPromptsPerStep());
    assertEquals(List.of(), RunSpecValidator.validate(s));
  }

  @Test
  void styleTransfer() {
    String yaml =
        """
        task:
          style_transfer:
            generator: { name: gpt2 }
            style_classifier: { name: yelp-style-classifier }
            data: { yelp_style: { dir: y, source_style: 0 } }
        """;
    RunSpec rl = ServiceDefaults.onBert(RunSpecYaml.parse("method: rlprompt\n" + yaml));
    assertEquals(50, rl.getPolicy().getSoftQ().getSamplingTopK());
    assertEquals(-10f, rl.getPolicy().getSoftQ().getLogitBias());
    assertEquals(100f, rl.getShaping().getScale());
    assertEquals(-20f, rl.getShaping().getShift());
    assertEquals(8, rl.getPromptsPerStep());
    assertEquals(2, rl.getInputsPerStep());
    assertEquals(12000, rl.getBudget().getMaxSteps());
    assertEquals(1, rl.getTask().getStyleTransfer().getTargetLabel());
    assertEquals("{prompt} \"{sentence}\" \"", rl.getTask().getStyleTransfer().getTemplate());
    assertEquals(128, rl.getTask().getStyleTransfer().getGeneration().getNumSamples());
    // bert_score's layer for the default content model.
    assertEquals("bert-base-uncased", rl.getTask().getStyleTransfer().getContentModel().getName());
    assertEquals(9, rl.getTask().getStyleTransfer().getContentLayer());
    assertEquals(List.of(), RunSpecValidator.validate(rl));
    RunSpec pin = RunDefaults.apply(RunSpecYaml.parse("method: pin\n" + yaml));
    assertEquals(1f, pin.getShaping().getScale());
    assertEquals(15000, pin.getBudget().getMaxSteps());
    assertEquals(ZScore.Z_SCORE_ON, pin.getShaping().getZScore());
  }

  @Test
  void imageInversionHasNoZScoreAndLongerPrompts() {
    RunSpec s =
        ServiceDefaults.effective(
            RunSpecYaml.parse(
                "method: pin\ntask: { image_inversion: { clip: { name: clip-vit-b-32 },"
                    + " data: { image_folder: { dir: imgs } } } }\n"),
            49408, false, true);
    assertEquals(8, s.getPolicy().getPromptLength());
    assertEquals(32, s.getPromptsPerStep());
    assertEquals(ZScore.Z_SCORE_OFF, s.getShaping().getZScore());
    assertEquals(1f, s.getShaping().getScale());
    assertEquals(20000, s.getBudget().getMaxSteps());
    assertEquals(9882, s.getPolicy().getSparseTsallis().getLmFilter().getTopK());
    assertEquals(List.of(), RunSpecValidator.validate(s));
  }

  @Test
  void datasetsByFolderName() {
    ClassificationTask ag =
        ServiceDefaults.onBert(classification("pin", "../shared/data/few-shot/agnews/"))
            .getTask()
            .getClassification();
    assertEquals("{mask} {prompt} {sentence}", ag.getTemplate());
    assertEquals(List.of("world", "sports", "business", "tech"), ag.getVerbalizersList());
    assertEquals(List.of("World", "Sports", "Business", "Sci/Tech"), ag.getLabelNamesList());
    RunSpec cased =
        ServiceDefaults.effective(classification("pin", "x/TREC"), 50_257, false, false);
    assertEquals(
        List.of("Description", "Entity", "Expression", "Human", "Location", "Number"),
        cased.getTask().getClassification().getVerbalizersList());
    assertEquals(10_000, cased.getPolicy().getSparseTsallis().getLmFilter().getTopK());
    assertEquals(
        5,
        RunDefaults.apply(classification("pin", "sst-5"))
            .getTask()
            .getClassification()
            .getVerbalizersCount());
    assertEquals(
        List.of("subjective", "objective"),
        RunDefaults.apply(classification("pin", "subj"))
            .getTask()
            .getClassification()
            .getVerbalizersList());
    assertEquals(
        List.of("terrible", "great"),
        RunDefaults.apply(classification("pin", "\"classpath:demo/sentiment\""))
            .getTask()
            .getClassification()
            .getVerbalizersList());
    RunSpec causal =
        ServiceDefaults.effective(classification("pin", "sst-2"), 50_257, false, false);
    assertEquals("{sentence} {prompt}", causal.getTask().getClassification().getTemplate());
    // An unknown dataset gets no verbalizers (the reward service asks for them).
    RunSpec unknown = RunDefaults.apply(classification("pin", "my-data"));
    assertEquals(0, unknown.getTask().getClassification().getVerbalizersCount());
  }

  @Test
  void explicitValuesAreKept() {
    RunSpec s =
        RunDefaults.apply(
            RunSpecYaml.parse(
                """
method: pin
task: { classification: { verbalizers: [bad, good], data: { few_shot: { dir: sst-2, split_seed: 1 } } } }
policy: { prompt_length: 3, replay: { enabled: false }, seed: 9 }
shaping: { scale: 2, shift: 1 }
budget: { max_steps: 10 }
"""));
    assertEquals(3, s.getPolicy().getPromptLength());
    assertFalse(s.getPolicy().getReplay().getEnabled());
    assertEquals(2f, s.getShaping().getScale());
    assertEquals(1f, s.getShaping().getShift());
    assertEquals(10, s.getBudget().getMaxSteps());
    assertEquals(List.of("bad", "good"), s.getTask().getClassification().getVerbalizersList());
    assertEquals(9, s.getSeed());
    assertEquals(Method.METHOD_PIN, s.getMethod());
    // Applying twice changes nothing, and so does resolving the services' defaults again.
    assertEquals(s, RunDefaults.apply(s));
    RunSpec effective = ServiceDefaults.onBert(s);
    assertEquals(effective, ServiceDefaults.onBert(effective));
  }
}
