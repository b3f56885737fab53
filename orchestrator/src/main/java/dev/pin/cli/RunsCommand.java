package dev.pin.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pin runs}: lists runs from the run store. */
@Command(name = "runs", mixinStandardHelpOptions = true,
    description = "List runs (newest first) with their state, step, best dev score and prompt; "
        + "cancel one with --cancel.")
final class RunsCommand extends NotYetAvailableCommand {
  @Option(names = "--address", defaultValue = "localhost:50050",
      description = "The orchestrator (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--cancel", paramLabel = "RUN_ID", description = "Cancel this run.")
  String cancel;

  @Option(names = "--json", description = "Print runs as JSON lines for scripts.")
  boolean json;

  @Override
  String capability() {
    return "The run store";
  }

  @Override
  String arrivesWith() {
    return "the orchestrator issue (#6)";
  }
}
