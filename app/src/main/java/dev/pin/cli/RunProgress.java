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
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;

/**
 * Prints a run's events for people (a progress bar led by the reward curve, with elapsed time and
 * ETA; evaluations and state changes on their own lines) or as JSON lines for scripts. On a
 * terminal the bar redraws in place; otherwise (a log file, CI) a step line is printed for the
 * first and last step and whenever {@code every} has passed since the previous one, so a slow run
 * still shows progress and a fast one does not flood the log.
 */
final class RunProgress {
  /** How often a non-terminal gets a step line by default. */
  static final Duration DEFAULT_EVERY = Duration.ofSeconds(10);

  private final PrintStream out;
  private final boolean json;
  private final boolean tty;
  private final Duration every;
  private final long maxSteps;
  private double devScore = Double.NaN;
  private String bestPrompt = "";
  private double bestDev = Double.NaN;
  private boolean barShown;
  private RunState lastState = RunState.RUN_STATE_UNSPECIFIED;
  /** When the current attempt (a start or a resume) began training, and at which step. */
  private Instant attemptStart;
  private long attemptFirstStep = -1;
  /** The event time of the last step line printed to a non-terminal. */
  private Instant lastPrinted;

  RunProgress(PrintStream out, boolean json, long maxSteps) {
    this(out, json, maxSteps, System.console() != null, DEFAULT_EVERY);
  }

  RunProgress(PrintStream out, boolean json, long maxSteps, boolean tty, Duration every) {
    this.out = out;
    this.json = json;
    this.tty = tty;
    this.every = every;
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
      if (lastState == RunState.RUN_STATE_RUNNING
          && e.getState().getFrom() != RunState.RUN_STATE_EVALUATING) {
        // Training started or resumed: a new attempt, with its own clock and step rate.
        attemptStart = time(e);
        attemptFirstStep = -1;
      }
    }
    if (json) {
      out.println(toJson(e));
      return;
    }
    switch (e.getEventCase()) {
      case STEP -> step(e.getStep(), time(e));
      case STATE -> {
        // A run's first state change comes from no state: "state pending: created".
        boolean first = e.getState().getFrom() == RunState.RUN_STATE_UNSPECIFIED;
        line("state " + (first ? "" : shortState(e.getState().getFrom()) + " -> ")
            + shortState(e.getState().getTo()) + ": " + e.getState().getReason());
      }
      case EVALUATION -> evaluation(e.getEvaluation());
      case BEST_PROMPT -> {
        bestPrompt = e.getBestPrompt().getPrompt().getText();
        bestDev = max(bestDev, e.getBestPrompt().getDevScore());
      }
      case CHECKPOINT -> { }
      case MESSAGE -> line(e.getMessage());
      default -> { }
    }
  }

  /** The event's time; now for an event without one. */
  private static Instant time(RunEvent e) {
    return e.hasTime()
        ? Instant.ofEpochSecond(e.getTime().getSeconds(), e.getTime().getNanos()) : Instant.now();
  }

  private void step(StepMetrics m, Instant at) {
    double stepSeconds = m.getStepTime().getSeconds() + m.getStepTime().getNanos() / 1e9;
    if (attemptStart == null) {
      // Joined without the state change (history cut short): the clock starts with this step.
      attemptStart = at.minusNanos((long) (stepSeconds * 1e9));
    }
    if (attemptFirstStep < 0) {
      attemptFirstStep = m.getStep() - 1;
    }
    Duration elapsed = Duration.between(attemptStart, at);
    long done = m.getStep() - attemptFirstStep;
    String eta = m.getStep() >= maxSteps || done <= 0 ? "" : ", ETA " + clock(
        elapsed.multipliedBy(maxSteps - m.getStep()).dividedBy(done));
    // Reward first: RL losses in the thousands are normal and say little about progress.
    // Soft prompts: the reward and train accuracy are the projection's; the trained prompt's too.
    String continuous = m.hasContinuousTrainAccuracy() ? String.format(Locale.ROOT,
        " (continuous %.1f%%)", m.getContinuousTrainAccuracy()) : "";
    String text = String.format(Locale.ROOT,
        "step %d/%d %s reward %.1f (max %.1f) | train acc %.1f%%%s | dev %s | best \"%s\" "
            + "| %.1f s/step | %s elapsed%s",
        m.getStep(), maxSteps, bar(m.getStep()), m.getRewardMean(), m.getRewardMax(),
        m.getTrainAccuracy(), continuous, dev(), abbreviate(bestPrompt, 40), stepSeconds,
        clock(elapsed), eta);
    if (tty) {
      out.print("\r" + text + "\u001b[K");
      out.flush();
      barShown = true;
    } else if (done == 1 || m.getStep() >= maxSteps || lastPrinted == null
        || Duration.between(lastPrinted, at).compareTo(every) >= 0) {
      out.println(text);
      lastPrinted = at;
    }
  }

  /** The latest dev score and the best so far, e.g. {@code 62.5% (best 75.0%)}. */
  private String dev() {
    if (Double.isNaN(devScore)) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.1f%% (best %.1f%%)", devScore, max(bestDev, devScore));
  }

  private static double max(double a, double b) {
    return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
  }

  /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
  static String clock(Duration d) {
    long s = Math.max(0, d.toSeconds());
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private void evaluation(EvaluationResult r) {
    ScoredPrompt p = r.getPrompt();
    if (r.getSplit() == Split.SPLIT_DEV) {
      devScore = p.getDevScore();
      bestDev = max(bestDev, devScore);
    }
    String naturalness = p.hasNaturalness()
        ? String.format(Locale.ROOT, ", pseudo-PPL %.1f", p.getNaturalness().getPerplexity()) : "";
    line(String.format(Locale.ROOT, "%s at step %d%s: \"%s\" %s %.1f%s%s%s",
        r.getSplit() == Split.SPLIT_TEST ? "test" : "dev", r.getStep(),
        r.getBestSampled() ? " (best sampled)" : "", p.getPrompt().getText(),
        r.getSplit() == Split.SPLIT_TEST ? "test" : "dev",
        r.getSplit() == Split.SPLIT_TEST ? p.getTestScore() : p.getDevScore(), naturalness,
        faithfulness(r.getSplit() == Split.SPLIT_TEST ? p.getTestFaithfulness()
            : p.getFaithfulness(), r.getSplit() == Split.SPLIT_TEST ? p.hasTestFaithfulness()
            : p.hasFaithfulness()),
        r.getImproved() ? " (new best)" : ""));
  }

  /**
   * PEZ and soft prompts: {@code ; continuous 75.0 vs projection 62.5, agreement 0.81}, the
   * faithfulness of the projection (§7.2); empty when there is none.
   */
  static String faithfulness(dev.pin.v1.PromptFaithfulness f, boolean present) {
    return present ? String.format(Locale.ROOT, "; continuous %.1f vs projection %.1f, "
        + "agreement %.2f", f.getContinuousScore(), f.getProjectionScore(), f.getAgreement()) : "";
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
      if (p.hasFaithfulness()) {
        // PEZ and soft prompts: the prompt above is the projection of a continuous prompt.
        out.println("         faithfulness of the projection, dev"
            + faithfulness(p.getFaithfulness(), true).substring(1)
            + (p.hasTestFaithfulness() ? "; test" + faithfulness(p.getTestFaithfulness(), true)
                .substring(1) : ""));
      }
    }
  }
}
