package dev.pin.cli;

import dev.pin.scorer.report.ReportRenderer;
import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRun;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.Context;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What {@code pin report} and {@code pin sweep-readability} share besides their channels ({@link
 * EnsembleConnection}): a run's history from the orchestrator's run store, and its conversion into
 * the Scorer's {@code ReportRun}.
 */
final class EnsembleClients {
  private EnsembleClients() {}

  /**
   * A run's recorded events: WatchRun's replayed history. A run still training would stream on,
   * so reading stops at the first live event.
   */
  static List<RunEvent> history(OrchestratorGrpc.OrchestratorBlockingStub orchestrator,
      String runId, long timeoutSeconds) {
    List<RunEvent> events = new ArrayList<>();
    Context.CancellableContext context = Context.current().withCancellation();
    try {
      context.run(() -> {
        Iterator<RunEvent> it = orchestrator.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
            .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build());
        while (it.hasNext()) {
          RunEvent e = it.next();
          if (!e.getReplayed()) {
            break;
          }
          events.add(e);
        }
      });
    } finally {
      context.cancel(null);
    }
    return events;
  }

  /** Follows a run to its end (the stream completes when it does) and returns its events. */
  static List<RunEvent> follow(OrchestratorGrpc.OrchestratorBlockingStub orchestrator,
      String runId, long timeoutSeconds) {
    List<RunEvent> events = new ArrayList<>();
    orchestrator.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
        .watchRun(WatchRunRequest.newBuilder().setRunId(runId).build())
        .forEachRemaining(events::add);
    return events;
  }

  static Run get(OrchestratorGrpc.OrchestratorBlockingStub orchestrator, String runId) {
    return orchestrator.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
  }

  /**
   * The run as the report shows it: its best prompts (best first) with their dev and test scores,
   * its training curves from the step and evaluation events, and {@code taskHandle} and its policy
   * backbone, from which the scorer adds the round-trip and R(text) − R(ids) columns.
   */
  static ReportRun reportRun(Run run, List<RunEvent> events, String taskHandle) {
    ReportRun.Builder r = ReportRun.newBuilder().setRunId(run.getId())
        .setName(run.getSpec().getName()).setMethod(run.getSpec().getMethod())
        .setTaskHandle(taskHandle)
        .setPolicyModel(run.getSpec().getPolicy().getBackbone());
    for (int i = 0; i < run.getBestPromptsCount(); i++) {
      ScoredPrompt p = run.getBestPrompts(i);
      ReportPrompt.Builder row = ReportPrompt.newBuilder().setPrompt(p.getPrompt())
          .setLabel(String.format(Locale.ROOT, "best %d (step %d)", i + 1, p.getStep()))
          .putScores("dev_score", p.getDevScore());
      if (p.getTested()) {
        row.putScores("test_score", p.getTestScore());
      }
      // PEZ and soft prompts: the faithfulness of the row's projection (§7.2).
      faithfulness(row, "dev", p.hasFaithfulness(), p.getFaithfulness());
      faithfulness(row, "test", p.hasTestFaithfulness(), p.getTestFaithfulness());
      if (!p.getPrompt().getText().isBlank()) {
        r.addPrompts(row);
      }
    }
    r.addAllCurves(curves(run.getSpec(), events));
    return r.build();
  }

  /**
   * The scores {@code continuous_<split>}, {@code projection_<split>} and {@code
   * agreement_<split>} of a PEZ or soft-prompt row ({@link ReportRenderer#FAITHFULNESS_SCORES}).
   */
  private static void faithfulness(ReportPrompt.Builder row, String split, boolean present,
      dev.pin.v1.PromptFaithfulness f) {
    if (present) {
      row.putScores("continuous_" + split, f.getContinuousScore())
          .putScores("projection_" + split, f.getProjectionScore())
          .putScores("agreement_" + split, f.getAgreement());
    }
  }

  /** Legend names of the curves {@link #curves} draws. */
  static final String REWARD_MEAN = "mean over the step's prompts";
  static final String REWARD_MAX = "best prompt of the step";
  static final String DEV_GREEDY = "greedy prompt";
  static final String DEV_BEST_SAMPLED = "best prompt sampled since the previous evaluation";
  static final String TRAIN_ACCURACY = "mean over the step's prompts (train accuracy)";
  static final String LOSS = "loss (steps after the replay warm-up)";
  static final String DEV_CONTINUOUS = "continuous prompt (policy service)";
  static final String DEV_PROJECTION = "its projection (policy service)";
  static final String TRAIN_CONTINUOUS = "continuous prompt (soft prompts)";

  /**
   * The run's curves by step, from its event history, in the panels of the report's chart: reward
   * (mean and max), dev score (greedy and best-sampled prompts), train accuracy (classification
   * only) and loss, each panel's y axis titled with the task's unit. Steps that took no gradient
   * step (replay warm-up) are not loss points, and the shaped reward is left out (it is a z-score,
   * mean ~0 by construction). Empty series are left out. A run that rolled back (to a checkpoint,
   * or to step 0 without one) repeats steps: as in the run store's step table, the later records
   * replace the earlier ones from the repeated step on.
   */
  static List<Curve> curves(RunSpec spec, List<RunEvent> events) {
    TaskSpec.TaskCase task = spec.getTask().getTaskCase();
    Map<String, Curve.Builder> curves = new LinkedHashMap<>();
    String reward = ReportRenderer.REWARD_PANEL;
    String dev = ReportRenderer.DEV_SCORE_PANEL;
    curves.put(REWARD_MEAN, curve(REWARD_MEAN, reward, rewardAxis(task)));
    curves.put(REWARD_MAX, curve(REWARD_MAX, reward, rewardAxis(task)));
    curves.put(DEV_GREEDY, curve(DEV_GREEDY, dev, devAxis(task)));
    curves.put(DEV_BEST_SAMPLED, curve(DEV_BEST_SAMPLED, dev, devAxis(task)));
    curves.put(DEV_CONTINUOUS, curve(DEV_CONTINUOUS, dev, devAxis(task)));
    curves.put(DEV_PROJECTION, curve(DEV_PROJECTION, dev, devAxis(task)));
    curves.put(TRAIN_ACCURACY, curve(TRAIN_ACCURACY, "train accuracy", "train accuracy (%)"));
    curves.put(TRAIN_CONTINUOUS, curve(TRAIN_CONTINUOUS, "train accuracy",
        "train accuracy (%)"));
    curves.put(LOSS, curve(LOSS, "policy loss", "loss (Q-learning objective, no unit)"));
    boolean classification = task == TaskSpec.TaskCase.CLASSIFICATION;
    for (RunEvent e : events) {
      if (e.hasStep()) {
        StepMetrics s = e.getStep();
        point(curves.get(REWARD_MEAN), s.getStep(), s.getRewardMean());
        point(curves.get(REWARD_MAX), s.getStep(), s.getRewardMax());
        if (classification) {
          point(curves.get(TRAIN_ACCURACY), s.getStep(), s.getTrainAccuracy());
          if (s.hasContinuousTrainAccuracy()) {
            point(curves.get(TRAIN_CONTINUOUS), s.getStep(), s.getContinuousTrainAccuracy());
          }
        }
        if (s.getWarmingUp()) {
          drop(curves.get(LOSS), s.getStep());
        } else {
          point(curves.get(LOSS), s.getStep(), s.getLoss());
        }
      } else if (e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV) {
        point(curves.get(e.getEvaluation().getBestSampled() ? DEV_BEST_SAMPLED : DEV_GREEDY),
            e.getEvaluation().getStep(), e.getEvaluation().getPrompt().getDevScore());
        if (e.getEvaluation().getPrompt().hasFaithfulness()) {
          var f = e.getEvaluation().getPrompt().getFaithfulness();
          point(curves.get(DEV_CONTINUOUS), e.getEvaluation().getStep(), f.getContinuousScore());
          point(curves.get(DEV_PROJECTION), e.getEvaluation().getStep(), f.getProjectionScore());
        }
      }
    }
    List<Curve> out = new ArrayList<>();
    for (Curve.Builder c : curves.values()) {
      if (c.getPointsCount() > 0) {
        out.add(c.build());
      }
    }
    return out;
  }

  /** The unit of the task's reward R (ALGORITHMS.md §6). */
  static String rewardAxis(TaskSpec.TaskCase task) {
    return switch (task) {
      case CLASSIFICATION -> "reward R (§6.1 gap reward)";
      case STYLE_TRANSFER -> "reward R (0–100)";
      case IMAGE_INVERSION -> "reward R (CLIP cosine)";
      default -> "reward R (task units)";
    };
  }

  /** The unit of the task's dev score ({@code ScoredPrompt.dev_score}). */
  static String devAxis(TaskSpec.TaskCase task) {
    return switch (task) {
      case CLASSIFICATION -> "dev accuracy (%)";
      case STYLE_TRANSFER -> "dev J (0–100)";
      case IMAGE_INVERSION -> "dev CLIP score (cosine)";
      default -> "dev score (task units)";
    };
  }

  private static Curve.Builder curve(String name, String panel, String yAxis) {
    return Curve.newBuilder().setName(name).setPanel(panel).setYAxis(yAxis);
  }

  /** Forgets the points of {@code step} and later (a rolled-back run repeating warm-up steps). */
  private static void drop(Curve.Builder curve, long step) {
    while (curve.getPointsCount() > 0
        && curve.getPoints(curve.getPointsCount() - 1).getStep() >= step) {
      curve.removePoints(curve.getPointsCount() - 1);
    }
  }

  private static void point(Curve.Builder curve, long step, double value) {
    drop(curve, step);
    curve.addPoints(CurvePoint.newBuilder().setStep(step).setValue(value));
  }
}
