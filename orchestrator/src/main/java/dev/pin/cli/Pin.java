package dev.pin.cli;

import dev.pin.platform.server.Logging;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pin} command: runs the ensemble (embedded or one service per process) and talks to a
 * running one. The {@code ./pin} script at the repository root builds the application on first
 * use and calls this class.
 */
@Command(
    name = "pin",
    mixinStandardHelpOptions = true,
    versionProvider = Pin.Version.class,
    description = {
        "Learn short, readable hard prompts for a frozen language model with reinforcement "
            + "learning (RLPrompt's soft Q-learning, PIN's sparse Tsallis Q-learning).",
        ""},
    subcommands = {
        UpCommand.class,
        ServeCommand.class,
        TrainCommand.class,
        WatchCommand.class,
        RunsCommand.class,
        EvalCommand.class,
        dev.pin.cli.models.ModelsCommand.class,
        DemoCommand.class,
        ReportCommand.class,
        SweepLambdaCommand.class,
        DataCommand.class,
        CommandLine.HelpCommand.class})
public final class Pin implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    Logging.init();
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests call it without exiting the JVM). */
  public static CommandLine commandLine() {
    return new CommandLine(new Pin())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExitCodeExceptionMapper(e -> ExitCodes.USAGE);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Exit codes every subcommand shares. */
  public static final class ExitCodes {
    /** Bad flags or configuration. */
    public static final int USAGE = 2;
    /** The capability arrives in a later issue. */
    public static final int NOT_AVAILABLE = 3;

    private ExitCodes() {}
  }

  /** The application's version, from the jar manifest when built. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Pin.class.getPackage().getImplementationVersion();
      return new String[] {"pin " + (v == null ? "development build" : v)};
    }
  }
}
