package dev.pin.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pin watch RUN_ID}: follows a run's events (history first, then live). */
@Command(name = "watch", mixinStandardHelpOptions = true,
    description = "Follow a run: its history first, then live steps, evaluations and best "
        + "prompts, with a progress bar led by the reward curve.")
final class WatchCommand extends NotYetAvailableCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_ID", description = "The run.")
  String runId;

  @Option(names = "--address", defaultValue = "localhost:50050",
      description = "The orchestrator (default: ${DEFAULT-VALUE}).")
  String address;

  @Option(names = "--json", description = "Print events as JSON lines for scripts.")
  boolean json;

  @Override
  String capability() {
    return "Watching runs";
  }

  @Override
  String arrivesWith() {
    return "the orchestrator issue (#6)";
  }
}
