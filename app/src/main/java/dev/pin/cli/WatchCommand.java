package dev.pin.cli;

import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin watch RUN_ID}: follows a run's events (history first, then live). */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Follow a run: its history first, then live steps, evaluations and best "
        + "prompts, with a progress bar led by the reward curve. Exits 0 when the run completed, "
        + "1 when it failed, was cancelled or was interrupted.")
final class WatchCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "RUN_ID", description = "The run.")
  String runId;

  @Option(names = "--json", description = "Print events as JSON lines for scripts.")
  boolean json;

  @Option(names = "--progress-every", defaultValue = "10", paramLabel = "SECONDS",
      description = "When the output is not a terminal, print a step line at least this often "
          + "(default: ${DEFAULT-VALUE}); every evaluation gets its own line.")
  long progressEvery;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
      Run run = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
      new RunProgress(System.out, json, run.getSpec().getBudget().getMaxSteps(),
          System.console() != null, Duration.ofSeconds(Math.max(1, progressEvery)))
          .follow(stub.watchRun(WatchRunRequest.newBuilder().setRunId(runId).build()));
      Run now = stub.getRun(GetRunRequest.newBuilder().setRunId(runId).build());
      if (json) {
        System.out.println(RunProgress.toJson(now));
      } else {
        RunProgress.printSummary(System.out, now);
      }
      // The same status as pin train following the run: a script can wait on either.
      return now.getState() == RunState.RUN_STATE_COMPLETED ? Pin.ExitCodes.OK
          : Pin.ExitCodes.FAILED;
    } catch (StatusRuntimeException e) {
      return connection.fail("watch", e);
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
