package dev.pin.orchestrator;

import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.RunEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The papers' training curves as Prometheus series, tagged by run: {@code pin_train_reward_mean}
 * (mean raw task reward of a step's prompts), {@code pin_train_reward_max}, {@code
 * pin_train_loss}, {@code pin_train_step}, {@code pin_train_dev_score} (the greedy prompt's dev
 * score at the last evaluation) and {@code pin_eval_naturalness} (its pseudo-perplexity), plus the
 * counter {@code pin_train_steps_total}. Fed by the run store's event stream, so they show exactly
 * what WatchRun shows.
 */
final class RunMetrics {
  private static final List<String> SERIES = List.of("pin.train.reward.mean",
      "pin.train.reward.max", "pin.train.loss", "pin.train.step", "pin.train.dev.score",
      "pin.eval.naturalness");

  private final MeterRegistry registry;
  private final Map<String, double[]> byRun = new ConcurrentHashMap<>();
  private final Counter steps;

  RunMetrics(RunStore store, MeterRegistry registry) {
    this.registry = registry;
    this.steps = Counter.builder("pin.train.steps").description("training steps of all runs")
        .register(registry);
    store.addListener(this::onEvents);
  }

  private double[] values(String runId) {
    return byRun.computeIfAbsent(runId, id -> {
      double[] v = new double[SERIES.size()];
      java.util.Arrays.fill(v, Double.NaN);
      for (int i = 0; i < SERIES.size(); i++) {
        int index = i;
        Gauge.builder(SERIES.get(i), v, a -> a[index]).tag("run", id).register(registry);
      }
      return v;
    });
  }

  private void onEvents(String runId, List<RunEvent> events) {
    for (RunEvent e : events) {
      if (e.hasStep()) {
        double[] v = values(runId);
        v[0] = e.getStep().getRewardMean();
        v[1] = e.getStep().getRewardMax();
        v[2] = e.getStep().getLoss();
        v[3] = e.getStep().getStep();
        steps.increment();
      } else if (e.hasEvaluation() && e.getEvaluation().getSplit() == dev.pin.v1.Split.SPLIT_DEV) {
        double[] v = values(runId);
        v[4] = e.getEvaluation().getPrompt().getDevScore();
        if (e.getEvaluation().getPrompt().hasNaturalness()) {
          v[5] = e.getEvaluation().getPrompt().getNaturalness().getPerplexity();
        }
      }
    }
  }
}
