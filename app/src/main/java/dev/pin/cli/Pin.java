package dev.pin.cli;

import dev.pin.kit.server.Logging;
import dev.pin.orchestrator.BuildInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

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
    footer = {"", "Commands that talk to a running ensemble find the orchestrator at --address, "
        + "else $PIN_ADDRESS, else localhost:50050 (pin report and pin sweep-readability "
        + "also the scorer at --scorer-address, else $PIN_SCORER_ADDRESS, else localhost:50053)."},
    exitCodeListHeading = "%nExit codes (the same whether the pin command or a service found the "
        + "problem):%n",
    exitCodeList = {
        "0:done (pin train and pin watch: the run completed)",
        "1:failed: a run that failed or was cancelled, a service unreachable or erring",
        "2:fix the request: bad flags, configuration, spec or file; unknown run or model",
        "3:not available in this build"},
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
        SweepReadabilityCommand.class,
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
    return commandLine(System.getenv());
  }

  /**
   * The command line reading addresses ({@code PIN_ADDRESS}, {@code PIN_SCORER_ADDRESS}) from
   * {@code env} instead of the process environment, so tests can set them.
   */
  static CommandLine commandLine(Map<String, String> env) {
    return new CommandLine(new Pin(), new Factory(env))
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExitCodeExceptionMapper(Pin::exitCode);
  }

  /** An exception no command handled: bad input is USAGE, a failed call by its status. */
  private static int exitCode(Throwable e) {
    if (e instanceof CommandLine.ParameterException) {
      return ExitCodes.USAGE;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException sre) {
        return ExitCodes.of(sre.getStatus().getCode());
      }
    }
    return ExitCodes.FAILED;
  }

  /** Creates the connection mixins with the environment they read their addresses from. */
  private record Factory(Map<String, String> env) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      if (cls == OrchestratorConnection.class) {
        return cls.cast(new OrchestratorConnection(env));
      }
      if (cls == EnsembleConnection.class) {
        return cls.cast(new EnsembleConnection(env));
      }
      return CommandLine.defaultFactory().create(cls);
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /**
   * Exit codes every subcommand shares. A problem has one code whether the command caught it or a
   * service did: a spec error is USAGE from {@code pin eval}'s own check and from StartRun's.
   */
  public static final class ExitCodes {
    /** Done; for pin train and pin watch, the run completed. */
    public static final int OK = 0;
    /** A run failed or was cancelled, or a service was unreachable or failed. */
    public static final int FAILED = 1;
    /** Bad flags, configuration, spec or file, or an unknown run or model: fix the request. */
    public static final int USAGE = 2;
    /** The capability is not in this build (UNIMPLEMENTED). */
    public static final int NOT_AVAILABLE = 3;

    private ExitCodes() {}

    /** The exit code of a call that failed with {@code code}. */
    public static int of(Status.Code code) {
      return switch (code) {
        case OK -> OK;
        // What the caller asked for is wrong or names something that is not there: the same
        // mistakes the command's own checks report as USAGE.
        case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, ALREADY_EXISTS, OUT_OF_RANGE ->
            USAGE;
        case UNIMPLEMENTED -> NOT_AVAILABLE;
        default -> FAILED;
      };
    }
  }

  /** The application's version and commit, from {@code pin-build.properties}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"pin " + BuildInfo.current()};
    }
  }
}
