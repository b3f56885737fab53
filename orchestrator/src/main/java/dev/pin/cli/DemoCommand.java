package dev.pin.cli;

import picocli.CommandLine.Command;

/** {@code pin demo}: the main job, end to end on a laptop. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Import BERT-base, start the embedded ensemble, train PIN on the demo "
        + "classification task (about 10 minutes on 2 cores) and compare the learned prompt "
        + "with the empty and a manual prompt.")
final class DemoCommand extends NotYetAvailableCommand {
  @Override
  String capability() {
    return "The demo";
  }

  @Override
  String arrivesWith() {
    return "the models (#3), policy (#4), reward (#5) and orchestrator (#6) issues";
  }
}
