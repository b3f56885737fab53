package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.v1.EvaluationResult;
import dev.pin.v1.PromptFaithfulness;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.RunStateChange;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.TaskSpec;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-run training series: values, scale, HELP text, removal when the run ends. */
class RunMetricsTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private static final Map<String, TaskSpec.TaskCase> TASKS = Map.of(
      "run-c", TaskSpec.TaskCase.CLASSIFICATION,
      "run-i", TaskSpec.TaskCase.IMAGE_INVERSION);
  private final RunMetrics metrics = new RunMetrics(registry, TASKS::get, Duration.ZERO);

  @AfterEach
  void close() {
    metrics.close();
  }

  private static RunEvent step(long step, double loss, boolean warmingUp) {
    return RunEvent.newBuilder().setStep(StepMetrics.newBuilder().setStep(step).setRewardMean(12)
        .setRewardMax(40).setLoss(loss).setWarmingUp(warmingUp)).build();
  }

  private static RunEvent dev(double score, boolean bestSampled) {
    return RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(2)
        .setSplit(Split.SPLIT_DEV).setBestSampled(bestSampled).setPrompt(ScoredPrompt
            .newBuilder().setDevScore(score).setNaturalness(PromptNaturalness.newBuilder()
                .setPerplexity(321)))).build();
  }

  private static RunEvent state(RunState from, RunState to) {
    return RunEvent.newBuilder().setState(RunStateChange.newBuilder().setFrom(from).setTo(to))
        .build();
  }

  private double value(String name, String run) {
    return registry.get(name).tag("run", run).gauge().value();
  }

  @Test
  void seriesCarryTheRunsLatestValuesWithTheDevScoreAsARatio() {
    metrics.onEvents("run-c", List.of(step(1, 0, true), step(2, 850, false), dev(62.5, false),
        dev(75, true)));
    assertEquals(12, value("pin.train.reward.mean", "run-c"));
    assertEquals(40, value("pin.train.reward.max", "run-c"));
    assertEquals(850, value("pin.train.loss", "run-c"));
    assertEquals(2, value("pin.train.step", "run-c"));
    // Accuracy 62.5 % is 0.625; the best-sampled evaluation is not the greedy prompt's score.
    assertEquals(0.625, value("pin.train.dev.score", "run-c"), 1e-12);
    assertEquals(321, value("pin.train.dev.prompt.perplexity", "run-c"));
    assertEquals(2, registry.get("pin.train.steps").counter().count());

    metrics.onEvents("run-i", List.of(dev(0.31, false)));
    assertEquals(0.31, value("pin.train.dev.score", "run-i"), 1e-12, "a cosine is kept");
    assertTrue(Double.isNaN(value("pin.train.dev.faithfulness.agreement", "run-c")),
        "an RL run has no continuous prompt");
  }

  @Test
  void aContinuousPromptsFaithfulnessIsShownBesideItsProjectionsScore() {
    RunEvent pez = RunEvent.newBuilder().setEvaluation(EvaluationResult.newBuilder().setStep(4)
        .setSplit(Split.SPLIT_DEV).setPrompt(ScoredPrompt.newBuilder().setDevScore(56.25)
            .setFaithfulness(PromptFaithfulness.newBuilder().setSplit(Split.SPLIT_DEV)
                .setExamples(32).setContinuousScore(75).setProjectionScore(56.25)
                .setAgreement(0.6875)))).build();
    metrics.onEvents("run-c", List.of(pez));
    assertEquals(0.5625, value("pin.train.dev.score", "run-c"), 1e-12);
    assertEquals(0.75, value("pin.train.dev.continuous.score", "run-c"), 1e-12);
    assertEquals(0.6875, value("pin.train.dev.faithfulness.agreement", "run-c"), 1e-12);
  }

  @Test
  void warmUpStepsHaveNoLoss() {
    metrics.onEvents("run-c", List.of(step(1, 0, true)));
    assertTrue(Double.isNaN(value("pin.train.loss", "run-c")));
  }

  @Test
  void everySeriesHasHelpAndNoneIsTheScorersNaturalnessHistogram() {
    metrics.onEvents("run-c", List.of(step(1, 5, false), dev(50, false)));
    String text = registry.scrape();
    for (String line : text.lines().filter(l -> l.startsWith("# HELP")).toList()) {
      assertTrue(line.split(" ", 4).length == 4 && !line.split(" ", 4)[3].isBlank(), line);
    }
    assertTrue(text.contains("# HELP pin_train_dev_score "), text);
    assertFalse(text.contains("pin_eval_naturalness"), text);
  }

  @Test
  void aRunsSeriesAreRemovedWhenItEndsAndComeBackWhenItResumes() {
    metrics.onEvents("run-c", List.of(step(1, 5, false)));
    metrics.onEvents("run-i", List.of(step(1, 5, false)));
    assertTrue(registry.scrape().contains("run=\"run-c\""));
    // Evaluating the best prompts on test is still part of the run.
    metrics.onEvents("run-c", List.of(state(RunState.RUN_STATE_RUNNING,
        RunState.RUN_STATE_EVALUATING)));
    assertTrue(registry.scrape().contains("run=\"run-c\""));
    metrics.onEvents("run-c", List.of(state(RunState.RUN_STATE_EVALUATING,
        RunState.RUN_STATE_COMPLETED)));
    String text = registry.scrape();
    assertFalse(text.contains("run=\"run-c\""), text);
    assertTrue(text.contains("run=\"run-i\""), "another run's series stay");

    metrics.onEvents("run-i", List.of(state(RunState.RUN_STATE_RUNNING,
        RunState.RUN_STATE_INTERRUPTED)));
    assertFalse(registry.scrape().contains("run=\"run-i\""));
    metrics.onEvents("run-i", List.of(step(2, 4, false)));
    assertEquals(2, value("pin.train.step", "run-i"), "resumed: series again");
  }

  @Test
  void withARetentionTheSeriesOutliveTheRunForAWhileUnlessItResumes() throws Exception {
    try (RunMetrics delayed = new RunMetrics(registry, TASKS::get, Duration.ofMillis(300))) {
      delayed.onEvents("run-c", List.of(step(1, 5, false), state(RunState.RUN_STATE_RUNNING,
          RunState.RUN_STATE_COMPLETED)));
      delayed.onEvents("run-i", List.of(step(1, 5, false), state(RunState.RUN_STATE_RUNNING,
          RunState.RUN_STATE_INTERRUPTED), step(2, 5, false)));
      assertTrue(registry.scrape().contains("run=\"run-c\""), "still there to be scraped");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (registry.scrape().contains("run=\"run-c\"") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertFalse(registry.scrape().contains("run=\"run-c\""), "removed after the retention");
      Thread.sleep(400);
      assertEquals(2, value("pin.train.step", "run-i"), "a resumed run keeps its series");
    }
  }
}
