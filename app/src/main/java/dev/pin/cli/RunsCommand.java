package dev.pin.cli;

import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.RunView;
import dev.pin.v1.ScoredPrompt;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pin runs}: lists runs from the run store. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "List runs (newest first) with their state, step, best dev score and prompt, "
        + "and why a run failed or stopped; cancel one with --cancel. --json prints each run whole "
        + "(spec, seed, model identities, prompts as text and token ids): the export format of "
        + "learned prompts.")
final class RunsCommand implements Callable<Integer> {
  @Option(names = "--cancel", paramLabel = "RUN_ID", description = "Cancel this run.")
  String cancel;

  @Option(names = "--limit", defaultValue = "50", paramLabel = "N",
      description = "Most runs to list, newest first; 0 lists every run (default: "
          + "${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--json", description = "Print runs as JSON lines for scripts.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  /** The most runs one ListRuns page holds (the orchestrator's limit). */
  private static final int MAX_PAGE = 1000;

  @Override
  public Integer call() {
    if (limit < 0) {
      System.err.println("pin runs: --limit must be 0 (every run) or more, got " + limit);
      return Pin.ExitCodes.USAGE;
    }
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
      if (cancel != null) {
        Run run = stub.cancelRun(CancelRunRequest.newBuilder().setRunId(cancel).build());
        System.out.println(json ? RunProgress.toJson(run)
            : "cancelling " + run.getId() + " (stops after its current step)");
        return Pin.ExitCodes.OK;
      }
      // --json prints each run whole; the table needs only the summary.
      List<Run> runs = list(stub, limit, json ? RunView.RUN_VIEW_FULL : RunView.RUN_VIEW_SUMMARY);
      if (json) {
        runs.forEach(r -> System.out.println(RunProgress.toJson(r)));
        return Pin.ExitCodes.OK;
      }
      System.out.printf(Locale.ROOT, "%-20s %-22s %-9s %-12s %-12s %-7s %s%n", "RUN", "NAME",
          "METHOD", "STATE", "STEP", "DEV", "BEST PROMPT");
      for (Run r : runs) {
        ScoredPrompt best = r.getBestPromptsCount() > 0 ? r.getBestPrompts(0) : null;
        System.out.printf(Locale.ROOT, "%-20s %-22s %-9s %-12s %-12s %-7s %s%n", r.getId(),
            RunProgress.abbreviate(r.getSpec().getName(), 22),
            r.getSpec().getMethod().name().replace("METHOD_", "").toLowerCase(Locale.ROOT),
            RunProgress.shortState(r.getState()),
            r.getStep() + "/" + r.getSpec().getBudget().getMaxSteps(),
            best == null ? "-" : String.format(Locale.ROOT, "%.1f", best.getDevScore()),
            best == null ? "" : "\"" + best.getPrompt().getText() + "\"");
        if (!r.getError().isEmpty() && r.getState() != RunState.RUN_STATE_COMPLETED) {
          // Why it failed or stopped, on its own line: the one thing a FAILED row must say.
          System.out.println("    " + RunProgress.shortState(r.getState()) + ": " + r.getError());
        }
      }
      return Pin.ExitCodes.OK;
    } catch (StatusRuntimeException e) {
      return connection.fail("runs", e);
    } finally {
      OrchestratorConnection.close(channel);
    }
  }

  /** The newest {@code limit} runs (every run for 0), over as many pages as that takes. */
  static List<Run> list(OrchestratorGrpc.OrchestratorBlockingStub stub, int limit,
      RunView view) {
    List<Run> runs = new ArrayList<>();
    String token = "";
    do {
      int want = limit == 0 ? MAX_PAGE : Math.min(MAX_PAGE, limit - runs.size());
      ListRunsResponse page = stub.listRuns(ListRunsRequest.newBuilder().setPageSize(want)
          .setPageToken(token).setView(view).build());
      runs.addAll(page.getRunsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty() && (limit == 0 || runs.size() < limit));
    return runs;
  }
}
