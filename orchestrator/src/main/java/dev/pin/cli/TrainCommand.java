package dev.pin.cli;

import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin train SPEC.yaml}: starts a run on a running ensemble and follows it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Start a training run from a YAML run spec (see examples/) on a running "
        + "ensemble and follow its progress; --resume continues an interrupted run.")
final class TrainCommand extends NotYetAvailableCommand {
  @Parameters(arity = "0..1", paramLabel = "SPEC", description = "The run spec (YAML).")
  Path spec;

  @Option(names = "--resume", paramLabel = "RUN_ID",
      description = "Continue this run from its last checkpoint instead of starting one.")
  String resume;

  @Option(names = "--address", defaultValue = "localhost:50050",
      description = "The orchestrator (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--json", description = "Print events as JSON lines for scripts.")
  boolean json;

  @Override
  String capability() {
    return "Training runs";
  }

  @Override
  String arrivesWith() {
    return "the orchestrator issue (#6)";
  }
}
