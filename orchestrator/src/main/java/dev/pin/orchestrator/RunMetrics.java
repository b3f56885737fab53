package dev.pin.orchestrator;

import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.Split;
import dev.pin.v1.TaskSpec;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The papers' training curves as Prometheus series, one per run while it trains (label {@code
 * run}): {@code pin_train_reward_mean}, {@code pin_train_reward_max}, {@code pin_train_loss}, {@code
 * pin_train_step}, {@code pin_train_dev_score} (0–1) and {@code pin_train_dev_prompt_perplexity},
 * for PEZ and soft prompts also {@code pin_train_dev_continuous_score} and {@code
 * pin_train_dev_faithfulness_agreement} (§7.2's faithfulness of the readable projection; NaN for
 * the RL methods), plus the counter {@code pin_train_steps_total}. Fed by the run store's event stream, so they show
 * exactly what WatchRun shows. A run's series are removed {@code retention} after it ends
 * (completed, failed, cancelled, interrupted): Prometheus conventions keep no per-entity series
 * for an entity that is gone, and the run store keeps the history; the delay lets Prometheus
 * scrape the final values of a run that ends between two scrapes.
 */
final class RunMetrics implements AutoCloseable {
  /** One per-run gauge: its name, what its HELP says, its unit. */
  private record Series(String name, String help, String unit) {}

  private static final List<Series> SERIES = List.of(
      new Series("pin.train.reward.mean", "Mean raw task reward R of the last step's prompts"
          + " (task units: §6.1 gap reward, 0-100 style reward, CLIP cosine)", null),
      new Series("pin.train.reward.max", "Highest raw task reward R among the last step's"
          + " prompts (task units)", null),
      new Series("pin.train.loss", "Policy loss of the last step; NaN while the replay buffer"
          + " warms up and no gradient step is taken", null),
      new Series("pin.train.step", "Training steps the run has completed", null),
      new Series("pin.train.dev.score", "Dev score of the greedy prompt at the last evaluation,"
          + " 0-1: accuracy (classification), J/100 (style transfer), CLIP cosine (inversion)",
          null),
      new Series("pin.train.dev.prompt.perplexity", "Perplexity (causal LM) or pseudo-perplexity"
          + " (masked LM) of the greedy prompt at the last dev evaluation", null),
      new Series("pin.train.dev.continuous.score", "PEZ and soft prompts: dev accuracy (0-1) of"
          + " the continuous prompt behind the last evaluated projection; NaN for RL runs", null),
      new Series("pin.train.dev.faithfulness.agreement", "PEZ and soft prompts: share (0-1) of"
          + " dev examples on which the continuous prompt and its nearest-token projection"
          + " predict the same class (faithfulness, ALGORITHMS.md 7.2); NaN for RL runs", null));
  private static final int REWARD_MEAN = 0;
  private static final int REWARD_MAX = 1;
  private static final int LOSS = 2;
  private static final int STEP = 3;
  private static final int DEV_SCORE = 4;
  private static final int DEV_PERPLEXITY = 5;
  private static final int DEV_CONTINUOUS_SCORE = 6;
  private static final int DEV_AGREEMENT = 7;
  /** States a run ends in (a resumed run gets its series back with its next step). */
  private static final java.util.Set<RunState> ENDED = java.util.EnumSet.of(
      RunState.RUN_STATE_COMPLETED, RunState.RUN_STATE_CANCELLED, RunState.RUN_STATE_FAILED,
      RunState.RUN_STATE_INTERRUPTED);

  private final MeterRegistry registry;
  private final Function<String, TaskSpec.TaskCase> taskOf;
  private final Map<String, RunSeries> byRun = new ConcurrentHashMap<>();
  private final Counter steps;
  private final Duration retention;
  private final ScheduledExecutorService removals;
  private final Map<String, ScheduledFuture<?>> pendingRemovals = new ConcurrentHashMap<>();

  private record RunSeries(double[] values, List<Meter> meters) {}

  /**
   * Metrics of the runs in {@code store}.
   *
   * @param registry where the series go
   * @param taskOf a run's task kind, which sets the scale of its dev score
   * @param retention how long an ended run's series stay (zero: removed at once)
   */
  RunMetrics(MeterRegistry registry, Function<String, TaskSpec.TaskCase> taskOf,
      Duration retention) {
    this.registry = registry;
    this.taskOf = taskOf;
    this.retention = retention;
    this.removals = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "run-metrics-removal");
      t.setDaemon(true);
      return t;
    });
    this.steps = Counter.builder("pin.train.steps")
        .description("Training steps completed by all runs").register(registry);
  }

  /** Metrics fed by {@code store}'s events; a run's task kind is read from the store. */
  static RunMetrics of(RunStore store, MeterRegistry registry, Duration retention) {
    RunMetrics metrics = new RunMetrics(registry, id -> store.getRun(id)
        .map(r -> r.getSpec().getTask().getTaskCase())
        .orElse(TaskSpec.TaskCase.TASK_NOT_SET), retention);
    store.addListener(metrics::onEvents);
    return metrics;
  }

  private double[] values(String runId) {
    // A run resumed within the retention keeps its series.
    ScheduledFuture<?> removal = pendingRemovals.remove(runId);
    if (removal != null) {
      removal.cancel(false);
    }
    return byRun.computeIfAbsent(runId, id -> {
      double[] v = new double[SERIES.size()];
      java.util.Arrays.fill(v, Double.NaN);
      List<Meter> meters = new ArrayList<>();
      for (int i = 0; i < SERIES.size(); i++) {
        int index = i;
        Series s = SERIES.get(i);
        meters.add(Gauge.builder(s.name(), v, a -> a[index]).description(s.help())
            .baseUnit(s.unit()).tag("run", id).register(registry));
      }
      return new RunSeries(v, meters);
    }).values();
  }

  void onEvents(String runId, List<RunEvent> events) {
    for (RunEvent e : events) {
      if (e.hasStep()) {
        double[] v = values(runId);
        v[REWARD_MEAN] = e.getStep().getRewardMean();
        v[REWARD_MAX] = e.getStep().getRewardMax();
        v[LOSS] = e.getStep().getWarmingUp() ? Double.NaN : e.getStep().getLoss();
        v[STEP] = e.getStep().getStep();
        steps.increment();
      } else if (e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV
          && !e.getEvaluation().getBestSampled()) {
        double[] v = values(runId);
        v[DEV_SCORE] = ratio(taskOf.apply(runId), e.getEvaluation().getPrompt().getDevScore());
        if (e.getEvaluation().getPrompt().hasNaturalness()) {
          v[DEV_PERPLEXITY] = e.getEvaluation().getPrompt().getNaturalness().getPerplexity();
        }
        if (e.getEvaluation().getPrompt().hasFaithfulness()) {
          v[DEV_CONTINUOUS_SCORE] =
              e.getEvaluation().getPrompt().getFaithfulness().getContinuousScore() / 100;
          v[DEV_AGREEMENT] = e.getEvaluation().getPrompt().getFaithfulness().getAgreement();
        }
      } else if (e.hasState() && ENDED.contains(e.getState().getTo())) {
        RunSeries ended = byRun.get(runId);
        if (ended == null) {
          continue;
        }
        if (retention.isZero()) {
          remove(runId, ended);
        } else {
          pendingRemovals.put(runId, removals.schedule(() -> remove(runId, ended),
              retention.toMillis(), TimeUnit.MILLISECONDS));
        }
      }
    }
  }

  /** Classification accuracy and style J are percentages; a CLIP cosine is already in −1…1. */
  static double ratio(TaskSpec.TaskCase task, double devScore) {
    return switch (task) {
      case CLASSIFICATION, STYLE_TRANSFER -> devScore / 100;
      default -> devScore;
    };
  }

  /** Removes the series of an ended run, unless a resume has already replaced them. */
  private void remove(String runId, RunSeries ended) {
    pendingRemovals.remove(runId);
    if (byRun.remove(runId, ended)) {
      ended.meters().forEach(registry::remove);
    }
  }

  @Override
  public void close() {
    removals.shutdownNow();
  }
}
