package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.platform.testing.Await;
import dev.pin.platform.testing.Http;
import dev.pin.platform.testing.Reflection;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distributed mode: four {@code pin serve} processes on localhost, peers found by address. */
class DistributedModeTest {
  @TempDir Path logs;
  private final List<Process> processes = new ArrayList<>();

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy(); // SIGTERM: the graceful shutdown path
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private void awaitServing(String service, ManagedChannel channel) throws IOException {
    try {
      Await.until(service + " SERVING", Duration.ofSeconds(90), () -> {
        try {
          return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus()
              == ServingStatus.SERVING;
        } catch (RuntimeException notYet) {
          return false;
        }
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; its log:\n"
          + Files.readString(logs.resolve(service + ".log")), e);
    }
  }

  @Test
  void fourProcessesServeHealthReflectionAndMetrics() throws Exception {
    Map<String, int[]> ports = new LinkedHashMap<>();
    for (String service : EmbeddedEnsemble.SERVICES) {
      ports.put(service, new int[] {freePort(), freePort()});
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (String service : EmbeddedEnsemble.SERVICES) {
      List<String> command = new ArrayList<>(List.of(java, "-Dai.djl.offline=true", "-cp",
          System.getProperty("java.class.path"), "dev.pin.cli.Pin", "serve", service,
          "--" + service + ".host=127.0.0.1",
          "--" + service + ".port=" + ports.get(service)[0],
          "--" + service + ".metrics-port=" + ports.get(service)[1]));
      command.add("--models.home=" + logs.resolve("models"));
      if (service.equals("policy")) {
        command.add("--policy.checkpoint-dir=" + logs.resolve("checkpoints"));
      }
      if (service.equals("orchestrator")) {
        command.add("--orchestrator.store-url=jdbc:sqlite:" + logs.resolve("runs.db"));
        for (String peer : List.of("policy", "reward", "scorer")) {
          command.add("--orchestrator." + peer + ".address=localhost:" + ports.get(peer)[0]);
        }
      }
      processes.add(new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(logs.resolve(service + ".log").toFile()).start());
    }
    for (String service : EmbeddedEnsemble.SERVICES) {
      ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1",
          ports.get(service)[0]).usePlaintext().build();
      try {
        awaitServing(service, channel);
        assertTrue(Reflection.listServices(channel).stream().anyMatch(s -> s.startsWith("pin.v1.")));
        var metrics = Http.get(ports.get(service)[1], "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("grpc_server_processing_duration_seconds"));
      } finally {
        channel.shutdownNow();
      }
    }
    for (Process p : processes) {
      p.destroy();
    }
    for (int i = 0; i < processes.size(); i++) {
      Process p = processes.get(i);
      String service = EmbeddedEnsemble.SERVICES.get(i);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "graceful shutdown on SIGTERM");
      // The JVM reports a SIGTERM exit as 128 + 15 after its shutdown hooks ran.
      assertEquals(143, p.exitValue(), service);
      String log = Files.readString(logs.resolve(service + ".log"));
      assertTrue(log.contains(service + " service stopped"), log);
    }
  }
}
