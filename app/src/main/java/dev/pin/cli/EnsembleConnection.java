package dev.pin.cli;

import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ScorerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The {@code --address} / {@code --scorer-address} options of the commands that talk to both the
 * orchestrator and the scorer ({@code pin report}, {@code pin sweep-readability}), with {@code
 * $PIN_ADDRESS} / {@code $PIN_SCORER_ADDRESS} as their defaults, and the channel lifetime and error
 * reporting around their calls: a failure names the service that failed.
 */
final class EnsembleConnection {
  static final String SCORER_ENV = "PIN_SCORER_ADDRESS";
  static final String SCORER_DEFAULT = "localhost:50053";

  private final Map<String, String> env;

  @Option(names = "--address", paramLabel = "HOST:PORT",
      description = "The orchestrator (default: $" + OrchestratorConnection.ENV + ", else "
          + OrchestratorConnection.DEFAULT + "; start one with pin up).")
  String address;

  @Option(names = "--scorer-address", paramLabel = "HOST:PORT",
      description = "The scorer (default: $" + SCORER_ENV + ", else " + SCORER_DEFAULT + ").")
  String scorerAddress;

  EnsembleConnection(Map<String, String> env) {
    this.env = env;
  }

  ServiceAddress orchestrator() {
    return ServiceAddress.resolve("orchestrator", address, "--address",
        OrchestratorConnection.ENV, OrchestratorConnection.DEFAULT, env);
  }

  ServiceAddress scorer() {
    return ServiceAddress.resolve("scorer", scorerAddress, "--scorer-address", SCORER_ENV,
        SCORER_DEFAULT, env);
  }

  /** What a command does with the two services; returns its exit code. */
  interface Body {
    int call(OrchestratorGrpc.OrchestratorBlockingStub orchestrator,
        ScorerGrpc.ScorerBlockingStub scorer) throws IOException;
  }

  /**
   * Runs {@code body} over fresh channels, closed afterwards. A failed RPC is printed as {@code pin
   * COMMAND: …} naming the service, with its status's exit code; a failure to write {@code out}
   * exits 1.
   */
  int run(String command, Path out, Body body) {
    ServiceAddress orchestrator = orchestrator();
    ServiceAddress scorer = scorer();
    ManagedChannel orchestratorChannel = orchestrator.open();
    ManagedChannel scorerChannel = scorer.open();
    try {
      return body.call(OrchestratorGrpc.newBlockingStub(orchestratorChannel),
          ScorerGrpc.newBlockingStub(scorerChannel));
    } catch (StatusRuntimeException e) {
      return RpcFailure.report(System.err, command, e, orchestrator, scorer);
    } catch (IOException e) {
      System.err.println("pin " + command + ": cannot write " + out + ": " + e.getMessage());
      return Pin.ExitCodes.FAILED;
    } finally {
      OrchestratorConnection.close(orchestratorChannel);
      OrchestratorConnection.close(scorerChannel);
    }
  }
}
