package dev.pin.orchestrator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pin.orchestrator.bench.LearningCurve.OutputRule;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Prompt;
import dev.pin.v1.ScoredPrompt;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The output rules the learning-curve benchmark ablates, on made-up dev evaluations. */
class LearningCurveOutputRuleTest {

  private static EvaluationResult eval(long step, boolean sampled, String text, double dev,
      double selection) {
    return EvaluationResult.newBuilder().setStep(step).setBestSampled(sampled)
        .setPrompt(ScoredPrompt.newBuilder().setStep(step).setDevScore(dev)
            .setSelectionScore(selection).setPrompt(Prompt.newBuilder().setText(text)))
        .build();
  }

  private final List<EvaluationResult> evaluations = List.of(
      eval(5, false, "greedy five", 60, 58),
      eval(5, true, "sampled five", 75, 70),
      eval(10, false, "greedy ten", 60, 61),
      eval(10, true, "sampled ten", 75, 72));

  @Test
  void eachRuleRanksItsOwnCandidatesByItsOwnScore() {
    assertEquals("sampled ten", OutputRule.RUN.pickText(evaluations, 10)); // selection score
    assertEquals("sampled five", OutputRule.DEV.pickText(evaluations, 10)); // tie: the earlier
    assertEquals("greedy five", OutputRule.GREEDY_DEV.pickText(evaluations, 10)); // no samples
  }

  @Test
  void onlyEvaluationsUpToTheStepCountAndNoneGivesTheEmptyPrompt() {
    assertEquals("sampled five", OutputRule.RUN.pickText(evaluations, 9));
    assertEquals("", OutputRule.GREEDY_DEV.pickText(evaluations, 4));
  }

  @Test
  void rulesParseFromTheirCommandLineNames() {
    assertEquals(List.of(OutputRule.RUN, OutputRule.DEV, OutputRule.GREEDY_DEV),
        List.of(OutputRule.parse("run"), OutputRule.parse("dev"), OutputRule.parse("greedy-dev")));
    assertThrows(IllegalArgumentException.class, () -> OutputRule.parse("best"));
  }

  @Test
  void atEqualWallClockAPointCountsTheStepsFinishedByIt() {
    java.util.Map<Long, Double> finishedAt = new java.util.LinkedHashMap<>();
    finishedAt.put(1L, 40.0);
    finishedAt.put(2L, 75.0);
    finishedAt.put(3L, 130.0);
    assertEquals(0, LearningCurve.stepFinishedBy(finishedAt, 30));
    assertEquals(2, LearningCurve.stepFinishedBy(finishedAt, 75));
    assertEquals(3, LearningCurve.stepFinishedBy(finishedAt, 600));
  }
}
