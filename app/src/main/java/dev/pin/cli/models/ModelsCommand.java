package dev.pin.cli.models;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code pin models}: the model store's commands. */
@Command(
    name = "models",
    description = "Manage the local model store ($PIN_MODELS_HOME, default ~/.cache/pin/models).",
    mixinStandardHelpOptions = true,
    subcommands = {ListModelsCommand.class, ImportModelCommand.class, FillMaskCommand.class,
        TrainClassifierCommand.class})
public final class ModelsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Runs {@code pin models} on its own (handy before the root command registers it). */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ModelsCommand()).execute(args));
  }
}
