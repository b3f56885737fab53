package dev.pin.cli;

import dev.pin.v1.Curve;
import dev.pin.v1.CurvePoint;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ReportPrompt;
import dev.pin.v1.ReportRun;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.ScoredPrompt;
import dev.pin.v1.Split;
import dev.pin.v1.StepMetrics;
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
 * What {@code pin report} and {@code pin sweep-lambda} share besides their channels ({@link
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
   * its training curves from the step and evaluation events, and its task handle and policy
   * backbone, from which the scorer adds the round-trip and R(text) − R(ids) columns.
   */
  static ReportRun reportRun(Run run, List<RunEvent> events) {
    ReportRun.Builder r = ReportRun.newBuilder().setRunId(run.getId())
        .setName(run.getSpec().getName()).setMethod(run.getSpec().getMethod())
        .setTaskHandle(run.getProvenanceOrDefault("task_handle", ""))
        .setPolicyModel(run.getSpec().getPolicy().getBackbone());
    for (int i = 0; i < run.getBestPromptsCount(); i++) {
      ScoredPrompt p = run.getBestPrompts(i);
      ReportPrompt.Builder row = ReportPrompt.newBuilder().setPrompt(p.getPrompt())
          .setLabel(String.format(Locale.ROOT, "best %d (step %d)", i + 1, p.getStep()))
          .putScores("dev_score", p.getDevScore());
      if (p.getTested()) {
        row.putScores("test_score", p.getTestScore());
      }
      if (!p.getPrompt().getText().isBlank()) {
        r.addPrompts(row);
      }
    }
    r.addAllCurves(curves(events));
    return r.build();
  }

  /**
   * The run's curves by step, from its event history; empty series are left out. A run that rolled
   * back (to a checkpoint, or to step 0 without one) repeats steps: as in the run store's step
   * table, the later records replace the earlier ones from the repeated step on.
   */
  static List<Curve> curves(List<RunEvent> events) {
    Map<String, Curve.Builder> curves = new LinkedHashMap<>();
    for (String name : List.of("reward/mean", "reward/max", "shaped_reward/mean",
        "train_accuracy %", "loss", "dev_score (greedy prompt)",
        "dev_score (best prompt sampled since the previous evaluation)")) {
      curves.put(name, Curve.newBuilder().setName(name));
    }
    for (RunEvent e : events) {
      if (e.hasStep()) {
        StepMetrics s = e.getStep();
        point(curves.get("reward/mean"), s.getStep(), s.getRewardMean());
        point(curves.get("reward/max"), s.getStep(), s.getRewardMax());
        point(curves.get("shaped_reward/mean"), s.getStep(), s.getShapedRewardMean());
        point(curves.get("train_accuracy %"), s.getStep(), s.getTrainAccuracy());
        point(curves.get("loss"), s.getStep(), s.getLoss());
      } else if (e.hasEvaluation() && e.getEvaluation().getSplit() == Split.SPLIT_DEV) {
        point(curves.get(e.getEvaluation().getBestSampled()
                ? "dev_score (best prompt sampled since the previous evaluation)"
                : "dev_score (greedy prompt)"),
            e.getEvaluation().getStep(), e.getEvaluation().getPrompt().getDevScore());
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

  private static void point(Curve.Builder curve, long step, double value) {
    while (curve.getPointsCount() > 0
        && curve.getPoints(curve.getPointsCount() - 1).getStep() >= step) {
      curve.removePoints(curve.getPointsCount() - 1);
    }
    curve.addPoints(CurvePoint.newBuilder().setStep(step).setValue(value));
  }
}
