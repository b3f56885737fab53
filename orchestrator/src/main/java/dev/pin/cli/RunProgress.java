package dev.pin.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.Locale;

/**
 * Prints a run's events for people (a progress bar led by the reward curve, evaluations and
 * state changes on their own lines) or as JSON lines for scripts.
 */
final class RunProgress {
  private final PrintStream out;
  private final boolean json;
  private final boolean tty;
  private final long maxSteps;
  private double devScore = Double.NaN;
  private String bestPrompt = "";
  private double bestDev = Double.NaN;
  private boolean barShown;
  private RunState lastState = RunState.RUN_STATE_UNSPECIFIED;

  RunProgress(PrintStream out, boolean json, long maxSteps) {
    this.out = out;
    this.json = json;
    this.tty = System.console() != null;
    this.maxSteps = Math.max(1, maxSteps);
  }

  /** Prints every event until the stream ends; returns the run's last state. */
  RunState follow(Iterator<RunEvent> events) {
    while (events.hasNext()) {
      print(events.next());
    }
    endBar();
    return lastState;
  }

  void print(RunEvent e) {
    // Tracked in both modes: pin train's exit status follows it (--json used to exit 1 always).
    if (e.hasState()) {
      lastState = e.getState().getTo();
    }
    if (json) {
      out.println(toJson(e));
      return;
    }
    switch (e.getEventCase()) {
      case STEP -> step(e.getStep());
      case STATE -> {
        line("state " + shortState(e.getState().getFrom()) + " -> "
            + shortState(e.getState().getTo()) + ": " + e.getState().getReason());
      }
      case EVALUATION -> evaluation(e.getEvaluation());
      case BEST_PROMPT -> {
        bestPrompt = e.getBestPrompt().getPrompt().getText();
        bestDev = e.getBestPrompt().getDevScore();
      }
      case CHECKPOINT -> { }
      case MESSAGE -> line(e.getMessage());
      default -> { }
    }
  }

  private void step(StepMetrics m) {
    // Reward first: RL losses in the thousands are normal and say little about progress.
    String text = String.format(Locale.ROOT,
        "step %d/%d %s reward %.1f (max %.1f) | train acc %.1f%% | dev %s | best \"%s\" | %.1f s/step",
        m.getStep(), maxSteps, bar(m.getStep()), m.getRewardMean(), m.getRewardMax(),
        m.getTrainAccuracy(), Double.isNaN(devScore) ? "-" : String.format(Locale.ROOT, "%.1f%%",
            devScore), abbreviate(bestPrompt, 40),
        m.getStepTime().getSeconds() + m.getStepTime().getNanos() / 1e9);
    if (tty) {
      out.print("\r" + text + "\u001b[K");
      out.flush();
      barShown = true;
    } else if (m.getStep() == 1 || m.getStep() % 10 == 0 || m.getStep() == maxSteps) {
      out.println(text);
    }
  }

  private void evaluation(EvaluationResult r) {
    ScoredPrompt p = r.getPrompt();
    if (r.getSplit() == Split.SPLIT_DEV) {
      devScore = p.getDevScore();
    }
    String naturalness = p.hasNaturalness()
        ? String.format(Locale.ROOT, ", pseudo-PPL %.1f", p.getNaturalness().getPerplexity()) : "";
    line(String.format(Locale.ROOT, "%s at step %d%s: \"%s\" %s %.1f%s%s",
        r.getSplit() == Split.SPLIT_TEST ? "test" : "dev", r.getStep(),
        r.getBestSampled() ? " (best sampled)" : "", p.getPrompt().getText(),
        r.getSplit() == Split.SPLIT_TEST ? "test" : "dev",
        r.getSplit() == Split.SPLIT_TEST ? p.getTestScore() : p.getDevScore(), naturalness,
        r.getImproved() ? " (new best)" : ""));
  }

  private String bar(long step) {
    int width = 20;
    int filled = (int) Math.min(width, step * width / maxSteps);
    return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
  }

  private void line(String text) {
    endBar();
    out.println(text);
  }

  private void endBar() {
    if (barShown) {
      out.println();
      barShown = false;
    }
  }

  static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  static String shortState(RunState s) {
    return s.name().replace("RUN_STATE_", "").toLowerCase(Locale.ROOT);
  }

  static String toJson(com.google.protobuf.MessageOrBuilder message) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A finished run's best prompts as a table. */
  static void printSummary(PrintStream out, Run run) {
    out.println("run " + run.getId() + " (" + run.getSpec().getName() + "): "
        + shortState(run.getState()) + " after " + run.getStep() + " steps"
        + (run.getError().isEmpty() ? "" : "; " + run.getError()));
    if (run.getBestPromptsCount() == 0) {
      return;
    }
    out.printf(Locale.ROOT, "  %-6s %-8s %-8s %-10s %s%n", "step", "dev", "test", "pseudo-PPL",
        "prompt (token ids)");
    for (ScoredPrompt p : run.getBestPromptsList()) {
      out.printf(Locale.ROOT, "  %-6d %-8.1f %-8s %-10s \"%s\" %s%n", p.getStep(), p.getDevScore(),
          p.getTested() ? String.format(Locale.ROOT, "%.1f", p.getTestScore()) : "-",
          p.hasNaturalness() ? String.format(Locale.ROOT, "%.1f",
              p.getNaturalness().getPerplexity()) : "-",
          p.getPrompt().getText(), p.getPrompt().getTokenIdsList());
    }
  }
}
