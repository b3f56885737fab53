package dev.pin.cli;

import dev.pin.v1.OrchestratorGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The {@code --address} option of commands that talk to a running orchestrator; without it the
 * address comes from {@code $PIN_ADDRESS}, so one export serves every command after {@code pin up
 * --orchestrator.port=…}.
 */
final class OrchestratorConnection {
  static final String ENV = "PIN_ADDRESS";
  static final String DEFAULT = "localhost:50050";

  private final Map<String, String> env;

  @Option(names = "--address", paramLabel = "HOST:PORT",
      description = "The orchestrator (default: $" + ENV + ", else " + DEFAULT
          + "; start one with pin up).")
  String address;

  OrchestratorConnection(Map<String, String> env) {
    this.env = env;
  }

  /** The orchestrator's address and where it came from. */
  ServiceAddress target() {
    return ServiceAddress.resolve("orchestrator", address, "--address", ENV, DEFAULT, env);
  }

  /** A plaintext channel; the caller closes it. */
  ManagedChannel open() {
    return target().open();
  }

  /** Prints a failed call as {@code pin COMMAND: …} and returns its exit code. */
  int fail(String command, StatusRuntimeException e) {
    return RpcFailure.report(System.err, command, e, target());
  }

  /** A blocking stub of the orchestrator. */
  static OrchestratorGrpc.OrchestratorBlockingStub stub(ManagedChannel channel) {
    return OrchestratorGrpc.newBlockingStub(channel);
  }

  static void close(ManagedChannel channel) {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
