package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pin.scorer.report.ReportRenderer;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.StyleTransferTask;
import dev.pin.v1.TaskSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EnsembleClientsTest {

  private static final RunSpec CLASSIFICATION = RunSpec.newBuilder().setTask(TaskSpec.newBuilder()
      .setClassification(ClassificationTask.getDefaultInstance())).build();

  private static RunEvent step(long step, double rewardMean) {
    return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(step)
        .setRewardMean(rewardMean)).build();
  }

  private static RunEvent step(long step, double loss, boolean warmingUp) {
    return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(step)
        .setRewardMean(1).setShapedRewardMean(1e-17).setTrainAccuracy(50).setLoss(loss)
        .setWarmingUp(warmingUp)).build();
  }

  private static RunEvent dev(long step, double score, boolean bestSampled) {
    return RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(step)
        .setSplit(Split.SPLIT_DEV).setBestSampled(bestSampled)
        .setPrompt(ScoredPrompt.newBuilder().setDevScore(score))).build();
  }

  private static Map<String, List<String>> byName(List<Curve> curves) {
    return curves.stream().collect(Collectors.toMap(Curve::getName, c -> {
      List<String> points = new ArrayList<>();
      for (CurvePoint p : c.getPointsList()) {
        points.add(p.getStep() + "=" + p.getValue());
      }
      return points;
    }));
  }

  @Test
  void aRolledBackRunsRepeatedStepsReplaceTheEarlierOnes() {
    // Steps 1-4 with a dev evaluation at 2 and 4, a rollback to the checkpoint at step 2, then
    // steps 3-4 again: the curves hold each step once, with the values of the second pass.
    List<RunEvent> events = List.of(step(1, 1), step(2, 2), dev(2, 50, false), step(3, 3),
        step(4, 4), dev(4, 55, false), step(3, 30), step(4, 40), dev(4, 60, false));
    Map<String, List<String>> curves = byName(EnsembleClients.curves(CLASSIFICATION, events));
    assertEquals(List.of("1=1.0", "2=2.0", "3=30.0", "4=40.0"), curves.get(EnsembleClients.REWARD_MEAN));
    assertEquals(List.of("2=50.0", "4=60.0"), curves.get(EnsembleClients.DEV_GREEDY));
  }

  @Test
  void bestSampledEvaluationsAreTheirOwnSeries() {
    List<RunEvent> events = List.of(step(1, 1), dev(1, 50, false), dev(1, 70, true),
        step(2, 2), dev(2, 52, false));
    Map<String, List<String>> curves = byName(EnsembleClients.curves(CLASSIFICATION, events));
    assertEquals(List.of("1=50.0", "2=52.0"), curves.get(EnsembleClients.DEV_GREEDY));
    assertEquals(List.of("1=70.0"),
        curves.get(EnsembleClients.DEV_BEST_SAMPLED));
  }

  @Test
  void warmUpStepsAreNoLossPointsAndTheShapedRewardIsNotACurve() {
    // Steps 1-2 fill the replay buffer (loss 0, no gradient step); 3-4 update.
    List<RunEvent> events = List.of(step(1, 0, true), step(2, 0, true), step(3, 900, false),
        step(4, 700, false));
    Map<String, List<String>> curves = byName(EnsembleClients.curves(CLASSIFICATION, events));
    assertEquals(List.of("3=900.0", "4=700.0"), curves.get(EnsembleClients.LOSS));
    assertEquals(4, curves.get(EnsembleClients.REWARD_MEAN).size());
    assertEquals(Set.of(EnsembleClients.REWARD_MEAN, EnsembleClients.REWARD_MAX,
        EnsembleClients.TRAIN_ACCURACY, EnsembleClients.LOSS), curves.keySet());
  }

  @Test
  void panelsCarryTheTasksUnitsAndTrainAccuracyIsForClassificationOnly() {
    List<RunEvent> events = List.of(step(1, 5, false), dev(1, 50, false), dev(1, 60, true));
    Map<String, Curve> byName = EnsembleClients.curves(CLASSIFICATION, events).stream()
        .collect(Collectors.toMap(Curve::getName, c -> c));
    Curve greedy = byName.get(EnsembleClients.DEV_GREEDY);
    Curve sampled = byName.get(EnsembleClients.DEV_BEST_SAMPLED);
    assertEquals(ReportRenderer.DEV_SCORE_PANEL, greedy.getPanel());
    assertEquals(greedy.getPanel(), sampled.getPanel(), "greedy and best-sampled share a panel");
    assertEquals("dev accuracy (%)", greedy.getYAxis());
    assertEquals(ReportRenderer.REWARD_PANEL, byName.get(EnsembleClients.REWARD_MEAN).getPanel());
    assertEquals("train accuracy (%)", byName.get(EnsembleClients.TRAIN_ACCURACY).getYAxis());

    RunSpec style = RunSpec.newBuilder().setTask(TaskSpec.newBuilder()
        .setStyleTransfer(StyleTransferTask.getDefaultInstance())).build();
    Map<String, Curve> styleCurves = EnsembleClients.curves(style, events).stream()
        .collect(Collectors.toMap(Curve::getName, c -> c));
    assertEquals("dev J (0–100)", styleCurves.get(EnsembleClients.DEV_GREEDY).getYAxis());
    assertEquals(null, styleCurves.get(EnsembleClients.TRAIN_ACCURACY));
  }

  /**
   * A PEZ or soft-prompt run's rows carry the faithfulness of their projection (dev and test) as
   * scores, and its curves the continuous prompt's and the projection's dev accuracy and a soft
   * prompt's continuous train accuracy; an RL run's rows carry none of them (the report shows –).
   */
  @Test
  void continuousPromptRunsGetFaithfulnessScoresAndCurves() {
    dev.pin.v1.PromptFaithfulness devF = dev.pin.v1.PromptFaithfulness.newBuilder()
        .setContinuousScore(75).setProjectionScore(62.5).setAgreement(0.8125).build();
    dev.pin.v1.PromptFaithfulness testF = devF.toBuilder().setContinuousScore(70)
        .setProjectionScore(55).setAgreement(0.7).build();
    dev.pin.v1.Run run = dev.pin.v1.Run.newBuilder().setId("run-s").setSpec(CLASSIFICATION
        .toBuilder().setMethod(dev.pin.v1.Method.METHOD_SOFT_PROMPT))
        .addBestPrompts(ScoredPrompt.newBuilder().setStep(4).setDevScore(75).setTestScore(70)
            .setTested(true).setFaithfulness(devF).setTestFaithfulness(testF)
            .setPrompt(dev.pin.v1.Prompt.newBuilder().setText("great movie so")))
        .build();
    List<RunEvent> events = List.of(
        RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(4).setRewardMean(1)
            .setTrainAccuracy(50).setContinuousTrainAccuracy(87.5)).build(),
        RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(4)
            .setSplit(Split.SPLIT_DEV).setPrompt(ScoredPrompt.newBuilder().setDevScore(75)
                .setFaithfulness(devF))).build());
    dev.pin.v1.ReportRun r = EnsembleClients.reportRun(run, events, "");
    assertEquals(Map.of("dev_score", 75.0, "test_score", 70.0, "continuous_dev", 75.0,
        "projection_dev", 62.5, "agreement_dev", 0.8125, "continuous_test", 70.0,
        "projection_test", 55.0, "agreement_test", 0.7), r.getPrompts(0).getScoresMap());
    Map<String, List<String>> curves = byName(r.getCurvesList());
    assertEquals(List.of("4=75.0"), curves.get(EnsembleClients.DEV_CONTINUOUS));
    assertEquals(List.of("4=62.5"), curves.get(EnsembleClients.DEV_PROJECTION));
    assertEquals(List.of("4=87.5"), curves.get(EnsembleClients.TRAIN_CONTINUOUS));

    dev.pin.v1.Run rl = run.toBuilder().setSpec(CLASSIFICATION.toBuilder()
        .setMethod(dev.pin.v1.Method.METHOD_PIN)).clearBestPrompts()
        .addBestPrompts(ScoredPrompt.newBuilder().setStep(4).setDevScore(60)
            .setPrompt(dev.pin.v1.Prompt.newBuilder().setText("it was"))).build();
    assertEquals(Set.of("dev_score"), EnsembleClients.reportRun(rl, List.of(), "")
        .getPrompts(0).getScoresMap().keySet());
  }
}
