package dev.pin.scorer;

import dev.pin.kit.server.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The scorer's domain metrics, all under {@code pin_eval_*} (formulas in the service README).
 */
final class ScorerMetrics {
  private final MeterRegistry registry;

  ScorerMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One prompt's pseudo-perplexity, {@code pin_eval_naturalness}. */
  void naturalness(String model, String convention, double pseudoPerplexity) {
    DistributionSummary.builder("pin.eval.naturalness")
        .description("Perplexity (causal LM) or pseudo-perplexity exp(-PLL/T) (masked LM) of"
            + " scored prompts (lower is more natural)")
        .tag("model", model)
        .tag("convention", convention)
        .serviceLevelObjectives(2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000)
        .register(registry)
        .record(pseudoPerplexity);
  }

  /** {@code pin_eval_prompts_scored_total}, by RPC. */
  void promptsScored(String rpc, String model, int count) {
    Counter.builder("pin.eval.prompts.scored")
        .description("Prompts scored, by RPC and model")
        .tag("rpc", rpc)
        .tag("model", model)
        .register(registry)
        .increment(count);
  }

  /** The interpretability proxies of one prompt, {@code pin_eval_<proxy>}. */
  void proxies(String model, double dictionaryShare, double priorTopKShare, double repetition) {
    share("pin.eval.dictionary.word.share",
        "Share of prompt tokens that are whole dictionary words",
        model, dictionaryShare);
    share("pin.eval.prior.topk.share", "Share of prompt tokens inside the LM prior's top-k", model,
        priorTopKShare);
    share("pin.eval.repetition", "Share of prompt tokens repeating an earlier token", model,
        repetition);
  }

  private void share(String name, String description, String model, double value) {
    DistributionSummary.builder(name)
        .description(description)
        .tag("model", model)
        .register(registry)
        .record(value);
  }

  /** Model time of one scoring call, {@code pin_eval_scoring_duration_seconds}. */
  void scoring(String rpc, String model, long nanos) {
    Metrics.latencyBuckets(Timer.builder("pin.eval.scoring.duration")
        .description("Time spent in the scoring model per RPC (all batches of the call)")
        .tag("rpc", rpc)
        .tag("model", model))
        .register(registry)
        .record(Duration.ofNanos(nanos));
  }

  /** {@code pin_eval_reports_total}. */
  void report() {
    Counter.builder("pin.eval.reports").description("Reports rendered").register(registry)
        .increment();
  }
}
