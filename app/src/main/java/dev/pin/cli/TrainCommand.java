package dev.pin.cli;

import dev.pin.v1.GetRunRequest;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin train SPEC.yaml}: starts a run on a running ensemble and follows it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Start a training run from a YAML run spec (see examples/) on a running "
        + "ensemble and follow its progress; --resume continues an interrupted run. Relative data "
        + "paths resolve on the orchestrator (orchestrator.data-dir).")
final class TrainCommand implements Callable<Integer> {
  static final class Target {
    @Parameters(arity = "1", paramLabel = "SPEC", description = "The run spec (YAML).")
    Path spec;

    @Option(names = "--resume", required = true, paramLabel = "RUN_ID",
        description = "Continue this run from its last checkpoint instead of starting one.")
    String resume;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(names = "--extra-steps", defaultValue = "0",
      description = "With --resume: train this many steps beyond the original budget.")
  long extraSteps;

  @Option(names = "--detach", description = "Start the run and return without following it "
      + "(a spec the services refuse still exits non-zero, with no run created).")
  boolean detach;

  @Option(names = "--progress-every", defaultValue = "10", paramLabel = "SECONDS",
      description = "When the output is not a terminal, print a step line at least this often "
          + "(default: ${DEFAULT-VALUE}); every evaluation gets its own line.")
  long progressEvery;

  @Option(names = "--json", description = "Print the run and its events as JSON lines.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    RunSpec spec = null;
    if (target.spec != null) {
      spec = SpecFile.read(System.err, "train", target.spec).orElse(null);
      if (spec == null) {
        return Pin.ExitCodes.USAGE;
      }
    }
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
      // StartRun checks the spec against the services (models, verbalizers, data) before it
      // stores a run, so a refused spec ends here with its status, even with --detach.
      Run run = spec != null
          ? stub.startRun(StartRunRequest.newBuilder().setSpec(spec).build())
          : stub.resumeRun(ResumeRunRequest.newBuilder().setRunId(target.resume)
              .setExtraSteps(extraSteps).build());
      if (json) {
        System.out.println(RunProgress.toJson(run));
      } else {
        System.out.println("run " + run.getId() + " (" + run.getSpec().getName() + ", "
            + run.getSpec().getMethod().name().replace("METHOD_", "") + ", "
            + run.getSpec().getBudget().getMaxSteps() + " steps); follow it with pin watch "
            + run.getId());
      }
      if (detach) {
        return Pin.ExitCodes.OK;
      }
      RunState end = new RunProgress(System.out, json, run.getSpec().getBudget().getMaxSteps(),
          System.console() != null, Duration.ofSeconds(Math.max(1, progressEvery)))
          .follow(stub.watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build()));
      Run finished = stub.getRun(GetRunRequest.newBuilder().setRunId(run.getId()).build());
      if (json) {
        System.out.println(RunProgress.toJson(finished));
      } else {
        RunProgress.printSummary(System.out, finished);
      }
      return end == RunState.RUN_STATE_COMPLETED ? Pin.ExitCodes.OK : Pin.ExitCodes.FAILED;
    } catch (StatusRuntimeException e) {
      return connection.fail("train", e);
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
