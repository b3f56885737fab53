package dev.pin.cli;

import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.ScorerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --address} / {@code --scorer-address} options of the commands that talk to both the
 * orchestrator and the scorer ({@code pin report}, {@code pin sweep-lambda}), and the channel
 * lifetime and error reporting around their calls.
 */
final class EnsembleConnection {
  @Option(names = "--address", defaultValue = "localhost:50050", paramLabel = "HOST:PORT",
      description = "The orchestrator (default: ${DEFAULT-VALUE}; start one with pin up).")
  String address;

  @Option(names = "--scorer-address", defaultValue = "localhost:50053", paramLabel = "HOST:PORT",
      description = "The scorer (default: ${DEFAULT-VALUE}).")
  String scorerAddress;

  /** What a command does with the two services; returns its exit code. */
  interface Body {
    int call(OrchestratorGrpc.OrchestratorBlockingStub orchestrator,
        ScorerGrpc.ScorerBlockingStub scorer) throws IOException;
  }

  /**
   * Runs {@code body} over fresh channels, closed afterwards. A failed RPC or a failure to write
   * {@code out} is printed as {@code pin COMMAND: …} and exits 1.
   */
  int run(String command, Path out, Body body) {
    ManagedChannel orchestratorChannel = EnsembleClients.open(address);
    ManagedChannel scorerChannel = EnsembleClients.open(scorerAddress);
    try {
      return body.call(OrchestratorGrpc.newBlockingStub(orchestratorChannel),
          ScorerGrpc.newBlockingStub(scorerChannel));
    } catch (StatusRuntimeException e) {
      System.err.println("pin " + command + ": " + e.getStatus().getCode() + ": "
          + e.getStatus().getDescription());
      return 1;
    } catch (IOException e) {
      System.err.println("pin " + command + ": cannot write " + out + ": " + e.getMessage());
      return 1;
    } finally {
      EnsembleClients.close(orchestratorChannel);
      EnsembleClients.close(scorerChannel);
    }
  }
}
