package dev.pin.cli;

import dev.pin.orchestrator.spec.RunSpecYaml;
import dev.pin.orchestrator.spec.SpecException;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
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

  @Option(names = "--detach", description = "Start the run and return without following it.")
  boolean detach;

  @Option(names = "--json", description = "Print the run and its events as JSON lines.")
  boolean json;

  @Mixin
  OrchestratorConnection connection;

  @Override
  public Integer call() {
    RunSpec spec = null;
    if (target.spec != null) {
      try {
        spec = RunSpecYaml.read(target.spec);
      } catch (SpecException e) {
        System.err.println("pin train: " + target.spec + ": " + String.join("\n  ", e.problems()));
        return Pin.ExitCodes.USAGE;
      } catch (IOException e) {
        System.err.println("pin train: cannot read " + target.spec + ": " + e.getMessage());
        return Pin.ExitCodes.USAGE;
      }
    }
    ManagedChannel channel = connection.open();
    try {
      OrchestratorGrpc.OrchestratorBlockingStub stub = OrchestratorConnection.stub(channel);
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
        return 0;
      }
      RunState end = new RunProgress(System.out, json, run.getSpec().getBudget().getMaxSteps())
          .follow(stub.watchRun(WatchRunRequest.newBuilder().setRunId(run.getId()).build()));
      Run finished = stub.getRun(dev.pin.v1.GetRunRequest.newBuilder().setRunId(run.getId())
          .build());
      if (json) {
        System.out.println(RunProgress.toJson(finished));
      } else {
        RunProgress.printSummary(System.out, finished);
      }
      return end == RunState.RUN_STATE_COMPLETED ? 0 : 1;
    } catch (StatusRuntimeException e) {
      System.err.println("pin train: " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription());
      return 1;
    } finally {
      OrchestratorConnection.close(channel);
    }
  }
}
