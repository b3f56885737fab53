package dev.pin.cli;

import dev.pin.v1.OrchestratorGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/** The {@code --address} option of commands that talk to a running orchestrator. */
final class OrchestratorConnection {
  @Option(names = "--address", defaultValue = "localhost:50050", paramLabel = "HOST:PORT",
      description = "The orchestrator (default: ${DEFAULT-VALUE}; start one with pin up).")
  String address;

  /** A plaintext channel; the caller closes it. */
  ManagedChannel open() {
    return ManagedChannelBuilder.forTarget(address).usePlaintext().build();
  }

  /** A blocking stub whose unary calls time out after {@code seconds}. */
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
