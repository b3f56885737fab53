package dev.pin.cli;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.server.ServiceHost;
import dev.pin.kit.server.ServiceLauncher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Unmatched;

/** {@code pin up}: the whole ensemble in this JVM (embedded mode). */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Run all four services in one JVM (embedded mode): they talk over gRPC's in-process "
            + "transport, and each is also published on its TCP port for grpcurl, with its "
            + "Prometheus metrics on HTTP. Ctrl-C stops it gracefully.",
        "Example: pin up --reward.port=60052"})
final class UpCommand implements Callable<Integer> {
  @Mixin
  ConfigOptions config;

  @Unmatched
  List<String> settings = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    EmbeddedEnsemble ensemble;
    try {
      ensemble = EmbeddedEnsemble.create(config.load(settings), "pin", true);
    } catch (ConfigException e) {
      System.err.println("pin up: configuration error: " + e.getMessage());
      return Pin.ExitCodes.USAGE;
    }
    Thread watcher = new Thread(() -> {
      try {
        boolean ready = ensemble.awaitReady(10, TimeUnit.MINUTES);
        printTable(ensemble, ready);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "pin-up-ready");
    watcher.setDaemon(true);
    ServiceLauncher.Startable starter = new ServiceLauncher.Startable() {
      @Override
      public void start() throws Exception {
        ensemble.start();
        watcher.start();
      }

      @Override
      public void close() {
        ensemble.close();
      }
    };
    return ServiceLauncher.runUntilShutdown(List.of(starter));
  }

  private static void printTable(EmbeddedEnsemble ensemble, boolean ready) {
    StringBuilder out = new StringBuilder();
    out.append(ready ? "pin ensemble is up (embedded mode):\n"
        : "pin ensemble started, but not every service is SERVING (see the log):\n");
    out.append(String.format("  %-13s %-12s %-17s %-21s %s%n", "service", "health", "gRPC",
        "API", "metrics"));
    for (ServiceHost host : ensemble.hosts()) {
      out.append(String.format("  %-13s %-12s %-17s %-21s %s%n", host.name(),
          host.isReady() ? "SERVING" : "NOT_SERVING", "localhost:" + host.port(),
          String.join(",", host.serviceNames()),
          host.metricsPort() < 0 ? "off" : "http://localhost:" + host.metricsPort() + "/metrics"));
    }
    out.append("Try: grpcurl -plaintext localhost:")
        .append(ensemble.host("orchestrator").port()).append(" list\n")
        .append("Ctrl-C stops the ensemble.");
    System.out.println(out);
  }
}
