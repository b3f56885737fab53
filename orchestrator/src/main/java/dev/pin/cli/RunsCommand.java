package dev.pin.cli;

import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.ListRunsResponse;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.ScoredPrompt;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pin runs}: lists runs from the run store. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "List runs (newest first) with their state, step, best dev score and prompt; "
        + "cancel one with --cancel. --json prints each run whole (spec, seed, model identities, "
        + "prompts as text and token ids): the export format of learned prompts.")
final class RunsCommand implements Callable<Integer> {
  @Option(names = "--cancel", paramLabel = "RUN_ID", description = "Cancel this run.")
  String cancel;

  @Option(names = "--limit", defaultValue = "50", description = "Most runs to list.")
  int limit;

  @Option(names = "--json", description = "Print runs as JSON lines for scripts.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
      if (cancel != null) {
        Run run = stub.cancelRun(CancelRunRequest.newBuilder().setRunId(cancel).build());
        System.out.println(json ? RunProgress.toJson(run)
            : "cancelling " + run.getId() + " (stops after its current step)");
        return 0;
      }
      ListRunsResponse page = stub.listRuns(ListRunsRequest.newBuilder()
          .setPageSize(Math.min(1000, Math.max(1, limit))).build());
      if (json) {
        page.getRunsList().forEach(r -> System.out.println(RunProgress.toJson(r)));
        return 0;
      }
      System.out.printf(Locale.ROOT, "%-20s %-22s %-9s %-12s %-12s %-7s %s%n", "RUN", "NAME",
          "METHOD", "STATE", "STEP", "DEV", "BEST PROMPT");
      for (Run r : page.getRunsList()) {
        ScoredPrompt best = r.getBestPromptsCount() > 0 ? r.getBestPrompts(0) : null;
        System.out.printf(Locale.ROOT, "%-20s %-22s %-9s %-12s %-12s %-7s %s%n", r.getId(),
            RunProgress.abbreviate(r.getSpec().getName(), 22),
            r.getSpec().getMethod().name().replace("METHOD_", "").toLowerCase(Locale.ROOT),
            RunProgress.shortState(r.getState()),
            r.getStep() + "/" + r.getSpec().getBudget().getMaxSteps(),
            best == null ? "-" : String.format(Locale.ROOT, "%.1f", best.getDevScore()),
            best == null ? "" : "\"" + best.getPrompt().getText() + "\"");
      }
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("pin runs: " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription());
      return 1;
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
