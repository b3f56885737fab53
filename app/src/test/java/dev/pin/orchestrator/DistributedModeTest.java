package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.testing.Http;
import dev.pin.kit.testing.Reflection;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distributed mode: four {@code pin serve} processes on localhost, peers found by address. */
class DistributedModeTest {
  @TempDir Path dir;
  private LocalCluster cluster;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void fourProcessesServeHealthReflectionAndMetrics() throws Exception {
    cluster = new LocalCluster(dir, Map.of()).startAll();
    for (String service : EmbeddedEnsemble.SERVICES) {
      assertTrue(Reflection.listServices(cluster.channel(service)).stream()
          .anyMatch(s -> s.startsWith("pin.v1.")));
      var metrics = Http.get(cluster.metricsPort(service), "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("grpc_server_processing_duration_seconds"));
    }
    for (String service : EmbeddedEnsemble.SERVICES) {
      cluster.process(service).destroy(); // SIGTERM: the graceful shutdown path
    }
    for (String service : EmbeddedEnsemble.SERVICES) {
      Process p = cluster.process(service);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "graceful shutdown on SIGTERM");
      // The JVM reports a SIGTERM exit as 128 + 15 after its shutdown hooks ran.
      assertEquals(143, p.exitValue(), service);
      String log = cluster.logText(service);
      assertTrue(log.contains(service + " service stopped"), log);
    }
  }
}
