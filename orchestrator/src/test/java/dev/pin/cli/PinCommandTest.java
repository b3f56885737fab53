package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class PinCommandTest {
  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cmd = Pin.commandLine();
      int exit = cmd.execute(args);
      return new Result(exit, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void topLevelHelpListsEverySubcommand() {
    Result r = run("--help");
    assertEquals(0, r.exit());
    for (String sub : List.of("up", "serve", "train", "watch", "runs", "eval", "models", "demo",
        "report", "sweep-lambda")) {
      assertTrue(r.out().contains("  " + sub + " "), sub + " in\n" + r.out());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"up", "serve", "train", "watch", "runs", "eval", "models", "demo",
      "report", "sweep-lambda"})
  void everySubcommandHasHelp(String sub) {
    Result r = run(sub, "--help");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().startsWith("Usage: pin " + sub), r.out());
  }

  @Test
  void specProblemsAndUnreachableOrchestratorsAreClearErrors() {
    Result missing = run("train", "no-such-spec.yaml");
    assertEquals(Pin.ExitCodes.USAGE, missing.exit());
    assertTrue(missing.err().contains("cannot read no-such-spec.yaml"), missing.err());
    Result down = run("runs", "--address", "localhost:1");
    assertEquals(1, down.exit());
    assertTrue(down.err().contains("UNAVAILABLE"), down.err());
  }

  @Test
  void badConfigurationExitsWithUsageAndNamesTheKey() {
    Result r = run("serve", "policy", "--policy.port=seventy");
    assertEquals(Pin.ExitCodes.USAGE, r.exit());
    assertTrue(r.err().contains("policy.port: expected an integer between 0 and 65535, got "
        + "'seventy' (from flag --policy.port)"), r.err());
    Result typo = run("up", "--polciy.port=1");
    assertEquals(Pin.ExitCodes.USAGE, typo.exit());
    assertTrue(typo.err().contains("unknown setting polciy.port"), typo.err());
    Result service = run("serve", "nope");
    assertEquals(Pin.ExitCodes.USAGE, service.exit());
  }
}
