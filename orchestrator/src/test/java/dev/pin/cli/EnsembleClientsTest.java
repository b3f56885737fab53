package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.RunEvent;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EnsembleClientsTest {

  private static RunEvent step(long step, double rewardMean) {
    return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(step)
        .setRewardMean(rewardMean)).build();
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
    Map<String, List<String>> curves = byName(EnsembleClients.curves(events));
    assertEquals(List.of("1=1.0", "2=2.0", "3=30.0", "4=40.0"), curves.get("reward/mean"));
    assertEquals(List.of("2=50.0", "4=60.0"), curves.get("dev_score (greedy prompt)"));
  }

  @Test
  void bestSampledEvaluationsAreTheirOwnSeries() {
    List<RunEvent> events = List.of(step(1, 1), dev(1, 50, false), dev(1, 70, true),
        step(2, 2), dev(2, 52, false));
    Map<String, List<String>> curves = byName(EnsembleClients.curves(events));
    assertEquals(List.of("1=50.0", "2=52.0"), curves.get("dev_score (greedy prompt)"));
    assertEquals(List.of("1=70.0"),
        curves.get("dev_score (best prompt sampled since the previous evaluation)"));
  }
}
