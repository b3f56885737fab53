package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PinCommandTest {

  private static CliRun run(String... args) {
    return runWith(Map.of(), args);
  }

  /** Runs the command line with {@code env} as its environment. */
  private static CliRun runWith(Map<String, String> env, String... args) {
    return CliRun.of(env, args);
  }

  @Test
  void topLevelHelpListsEverySubcommand() {
    CliRun r = run("--help");
    assertEquals(0, r.exit());
    for (String sub : List.of("up", "serve", "train", "watch", "runs", "eval", "models", "demo",
        "report", "sweep-readability, sweep-lambda")) {
      assertTrue(r.out().contains("  " + sub + " "), sub + " in\n" + r.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"up", "serve", "train", "watch", "runs", "eval", "models", "demo",
      "report", "sweep-readability"})
  void everySubcommandHasHelp(String sub) {
    CliRun r = run(sub, "--help");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("Usage: pin " + sub), r.out());
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "eval", "sweep-readability"})
  void aMissingSpecFileSaysNoSuchFile(String command) {
    CliRun missing = command.equals("sweep-readability")
        ? run(command, "no-such-spec.yaml", "--lambdas", "0", "--out", "x")
        : run(command, "no-such-spec.yaml");
    assertEquals(Pin.ExitCodes.USAGE, missing.exit());
    assertTrue(missing.err().startsWith("pin " + command + ": no such file: "), missing.err());
    assertTrue(missing.err().contains("no-such-spec.yaml"), missing.err());
  }

  @Test
  void anUnreachableOrchestratorIsNamedWithItsAddressTheFlagAndPinUp() {
    CliRun down = run("runs", "--address", "localhost:1");
    assertEquals(Pin.ExitCodes.FAILED, down.exit());
    assertTrue(down.err().startsWith("pin runs: cannot reach the orchestrator at localhost:1 "
        + "(from --address): UNAVAILABLE"), down.err());
    assertTrue(down.err().contains("start the ensemble with `pin up`"), down.err());
    assertTrue(down.err().contains("point --address or $PIN_ADDRESS at the running "
        + "orchestrator"), down.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"runs", "watch", "eval", "train", "report"})
  void everyClientCommandReadsPinAddress(String command) throws Exception {
    java.nio.file.Path spec = java.nio.file.Files.createTempFile("spec", ".yaml");
    java.nio.file.Files.writeString(spec, "name: x\nmethod: pin\n");
    List<String> args = switch (command) {
      case "watch" -> List.of(command, "run-1");
      case "eval", "train" -> List.of(command, spec.toString());
      case "report" -> List.of(command, "run-1", "--out", "target/no-report");
      default -> List.of(command);
    };
    CliRun r = runWith(Map.of("PIN_ADDRESS", "localhost:1"), args.toArray(String[]::new));
    java.nio.file.Files.delete(spec);
    assertEquals(Pin.ExitCodes.FAILED, r.exit(), r.err());
    assertTrue(r.err().contains("cannot reach the orchestrator at localhost:1 (from "
        + "$PIN_ADDRESS)"), r.err());
    // The flag still wins over the variable.
    CliRun flag = runWith(Map.of("PIN_ADDRESS", "localhost:1"), "runs", "--address",
        "localhost:2");
    assertTrue(flag.err().contains("the orchestrator at localhost:2 (from --address)"),
        flag.err());
  }

  @Test
  void theSameMistakeHasTheSameExitCodeWhoeverFindsIt() {
    // The CLI's own checks and the services' INVALID_ARGUMENT / FAILED_PRECONDITION / NOT_FOUND
    // are all USAGE; an unreachable service or a failed run is FAILED; UNIMPLEMENTED NOT_AVAILABLE.
    assertEquals(Pin.ExitCodes.USAGE, Pin.ExitCodes.of(io.grpc.Status.Code.INVALID_ARGUMENT));
    assertEquals(Pin.ExitCodes.USAGE, Pin.ExitCodes.of(io.grpc.Status.Code.FAILED_PRECONDITION));
    assertEquals(Pin.ExitCodes.USAGE, Pin.ExitCodes.of(io.grpc.Status.Code.NOT_FOUND));
    assertEquals(Pin.ExitCodes.FAILED, Pin.ExitCodes.of(io.grpc.Status.Code.UNAVAILABLE));
    assertEquals(Pin.ExitCodes.FAILED, Pin.ExitCodes.of(io.grpc.Status.Code.INTERNAL));
    assertEquals(Pin.ExitCodes.NOT_AVAILABLE,
        Pin.ExitCodes.of(io.grpc.Status.Code.UNIMPLEMENTED));
    assertEquals(Pin.ExitCodes.USAGE, run("runs", "--limit", "x").exit());
  }

  @Test
  void aNegativeLimitIsRefusedWithAMessage() {
    CliRun r = run("runs", "--limit=-1", "--address", "localhost:1");
    assertEquals(Pin.ExitCodes.USAGE, r.exit());
    assertTrue(r.err().contains("pin runs: --limit must be 0 (every run) or more, got -1"),
        r.err());
  }

  @Test
  void versionPrintsTheVersionAndTheCommit() {
    CliRun r = run("--version");
    assertEquals(0, r.exit());
    // Maven filters pin-build.properties; the test build has no commit unless given one.
    assertTrue(r.out().matches("pin \\d+\\.\\d+\\.\\d+[^ ]* \\(commit [0-9a-z-]+\\)\\R"),
        r.out());
  }

  @Test
  void badConfigurationExitsWithUsageAndNamesTheKey() {
    CliRun r = run("serve", "policy", "--policy.port=seventy");
    assertEquals(Pin.ExitCodes.USAGE, r.exit());
    assertTrue(r.err().contains("policy.port: expected an integer between 0 and 65535, got "
        + "'seventy' (from flag --policy.port)"), r.err());
    CliRun typo = run("up", "--polciy.port=1");
    assertEquals(Pin.ExitCodes.USAGE, typo.exit());
    assertTrue(typo.err().contains("unknown setting polciy.port"), typo.err());
    CliRun service = run("serve", "nope");
    assertEquals(Pin.ExitCodes.USAGE, service.exit());
  }
}
