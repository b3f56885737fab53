package dev.pin.orchestrator;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.testing.Await;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Distributed mode on localhost for tests: each service is a {@code pin serve SERVICE} process of
 * its own, on free ports picked once, so a service killed and started again comes back at the same
 * address its peers know. Logs append to {@code dir/SERVICE.log} across restarts.
 */
final class LocalCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);

  private final Path dir;
  private final Map<String, String> extra;
  private final Map<String, int[]> ports = new LinkedHashMap<>();
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, ManagedChannel> channels = new LinkedHashMap<>();

  /**
   * A cluster whose services keep their state under {@code dir} (model store {@code dir/models},
   * checkpoints, run store {@code dir/runs.db}; data paths resolve against {@code dir}).
   *
   * @param extra more {@code key=value} settings, each passed to the service its key starts with
   */
  LocalCluster(Path dir, Map<String, String> extra) throws IOException {
    this.dir = dir;
    this.extra = extra;
    for (String service : EmbeddedEnsemble.SERVICES) {
      ports.put(service, new int[] {freePort(), freePort()});
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Starts all four services and waits until each is SERVING. */
  LocalCluster startAll() throws IOException {
    for (String service : EmbeddedEnsemble.SERVICES) {
      start(service);
    }
    for (String service : EmbeddedEnsemble.SERVICES) {
      awaitServing(service);
    }
    return this;
  }

  /** Starts one service's process (without waiting for it). */
  void start(String service) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Small heaps and the serial collector: four JVMs share a small test machine.
    List<String> command = new ArrayList<>(List.of(java, "-Xmx768m", "-XX:+UseSerialGC",
        "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), "dev.pin.cli.Pin",
        "serve", service,
        "--" + service + ".host=127.0.0.1",
        "--" + service + ".port=" + port(service),
        "--" + service + ".metrics-port=" + metricsPort(service),
        "--models.home=" + dir.resolve("models")));
    if (service.equals("policy")) {
      command.add("--policy.checkpoint-dir=" + dir.resolve("checkpoints"));
    }
    if (service.equals("orchestrator")) {
      command.add("--orchestrator.store-url=jdbc:sqlite:" + storeFile());
      command.add("--orchestrator.data-dir=" + dir);
      for (String peer : List.of("policy", "reward", "scorer")) {
        command.add("--orchestrator." + peer + ".address=localhost:" + port(peer));
      }
    }
    extra.forEach((key, value) -> {
      if (key.startsWith(service + ".")) {
        command.add("--" + key + "=" + value);
      }
    });
    Path log = log(service);
    processes.put(service, new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start());
  }

  /** Waits until the service answers SERVING on its health service. */
  void awaitServing(String service) throws IOException {
    Process process = processes.get(service);
    try {
      Await.until(service + " SERVING", START_TIMEOUT, () -> {
        if (!process.isAlive()) {
          throw new AssertionError(service + " exited with " + process.exitValue());
        }
        try {
          return HealthGrpc.newBlockingStub(channel(service)).withDeadlineAfter(2, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus()
              == ServingStatus.SERVING;
        } catch (RuntimeException notYet) {
          return false;
        }
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; its log:\n" + logText(service), e);
    }
  }

  /** {@code kill -9}: no shutdown hook runs, nothing is flushed or checkpointed. */
  void kill(String service) throws InterruptedException {
    Process p = processes.get(service);
    p.destroyForcibly();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError(service + " survived SIGKILL");
    }
  }

  /** The running process of a service. */
  Process process(String service) {
    return processes.get(service);
  }

  /** A plaintext channel to the service's gRPC port, owned (and closed) by the cluster. */
  ManagedChannel channel(String service) {
    return channels.computeIfAbsent(service, s -> ManagedChannelBuilder
        .forAddress("127.0.0.1", port(s)).usePlaintext().build());
  }

  int port(String service) {
    return ports.get(service)[0];
  }

  int metricsPort(String service) {
    return ports.get(service)[1];
  }

  /** The orchestrator's SQLite run store. */
  Path storeFile() {
    return dir.resolve("runs.db");
  }

  Path log(String service) {
    return dir.resolve(service + ".log");
  }

  /** The service's log so far (every process it has had). */
  String logText(String service) {
    try {
      return Files.exists(log(service)) ? Files.readString(log(service)) : "(no log)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM to every process (the graceful path), SIGKILL after 20 s; closes the channels. */
  @Override
  public void close() throws InterruptedException {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (Process p : processes.values()) {
      p.destroy();
    }
    for (Process p : processes.values()) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
