package dev.pin.cli;

import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin watch RUN_ID}: follows a run's events (history first, then live). */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Follow a run: its history first, then live steps, evaluations and best "
        + "prompts, with a progress bar led by the reward curve.")
final class WatchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run.")
  String runId;

  @Option(names = "--json", description = "Print events as JSON lines for scripts.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
      Run run = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
      new RunProgress(System.out, json, run.getSpec().getBudget().getMaxSteps())
          .follow(stub.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build()));
      Run now = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
      if (json) {
        System.out.println(RunProgress.toJson(now));
      } else {
        RunProgress.printSummary(System.out, now);
      }
      return 0;
    } catch (StatusRuntimeException e) {
      System.err.println("pin watch: " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription());
      return 1;
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
