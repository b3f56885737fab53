package dev.pin.orchestrator.loop;

import dev.pin.v1.EvaluationResult;
import dev.pin.v1.ScoredPrompt;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a run ranks the prompts it evaluated, and so which one it outputs (§6.1: the prompt with
 * the best dev score; with {@code evaluation.select_on_train_and_dev}, the best accuracy over the
 * training and dev examples together). Ties go to the prompt found first.
 */
public final class BestPrompts {
  private static final Comparator<ScoredPrompt> BEST_FIRST =
      Comparator.comparingDouble(BestPrompts::selectionScore).reversed()
          .thenComparingLong(ScoredPrompt::getStep);

  private BestPrompts() {}

  /** What prompts are ranked by: the selection score where the run has one, else dev. */
  public static double selectionScore(ScoredPrompt p) {
    return p.hasSelectionScore() ? p.getSelectionScore() : p.getDevScore();
  }

  /** The best {@code keep} prompts, one entry per prompt text, best first. */
  public static List<ScoredPrompt> merge(List<ScoredPrompt> current, ScoredPrompt candidate,
      int keep) {
    return merge(current, candidate, keep, false);
  }

  /**
   * The best {@code keep} prompts, best first: one entry per prompt text, or with {@code
   * byStep} one per evaluated step (soft prompts: the prompt is the continuous one, and two of
   * them can share a projection's text).
   */
  public static List<ScoredPrompt> merge(List<ScoredPrompt> current, ScoredPrompt candidate,
      int keep, boolean byStep) {
    java.util.function.Function<ScoredPrompt, String> key =
        byStep ? p -> "step " + p.getStep() : p -> p.getPrompt().getText();
    Map<String, ScoredPrompt> byText = new LinkedHashMap<>();
    for (ScoredPrompt p : current) {
      byText.put(key.apply(p), p);
    }
    ScoredPrompt old = byText.get(key.apply(candidate));
    if (old == null || selectionScore(candidate) > selectionScore(old)) {
      byText.put(key.apply(candidate), candidate);
    }
    List<ScoredPrompt> all = new ArrayList<>(byText.values());
    all.sort(BEST_FIRST);
    return all.subList(0, Math.min(keep, all.size()));
  }

  /**
   * The prompt a run would output if it stopped after {@code step}: the best of its dev
   * evaluations up to that step, or null before the first.
   */
  public static ScoredPrompt bestUpTo(List<EvaluationResult> devEvaluations, long step) {
    return devEvaluations.stream().filter(e -> e.getStep() <= step)
        .map(EvaluationResult::getPrompt).min(BEST_FIRST).orElse(null);
  }
}
