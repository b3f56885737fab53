package dev.pin.platform.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.platform.config.Config;
import dev.pin.platform.config.ConfigException;
import dev.pin.platform.config.ServerSettings;
import dev.pin.v1.ScorerGrpc;
import io.grpc.BindableService;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A port another process holds is a configuration error that names the port and its setting. */
class ServiceHostPortsTest {
  private static ServiceModule module(ServerSettings settings) {
    return new ServiceModule() {
      @Override
      public String name() {
        return "scorer";
      }

      @Override
      public ServerSettings server() {
        return settings;
      }

      @Override
      public List<BindableService> services() {
        return List.of(new ScorerGrpc.ScorerImplBase() {});
      }

      @Override
      public void warmUp() {}
    };
  }

  private static ConfigException startWith(int port, int metricsPort) {
    ServerSettings settings = ServerSettings.read(Config.of(Map.of(
        "scorer.port", Integer.toString(port), "scorer.metrics-port",
        Integer.toString(metricsPort), "scorer.host", "127.0.0.1")), "scorer");
    ServiceHost host = new ServiceHost(module(settings), Metrics.newRegistry("scorer"),
        List.of(ServiceLauncher.tcp("127.0.0.1", port)));
    try {
      return assertThrows(ConfigException.class, host::start);
    } finally {
      host.close();
    }
  }

  @Test
  void aBusyMetricsPortNamesThePortAndTheSetting() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ConfigException e = startWith(0, busy.getLocalPort());
      assertEquals("scorer.metrics-port", e.key());
      assertTrue(e.getMessage().startsWith("scorer.metrics-port: cannot listen on 127.0.0.1:"
          + busy.getLocalPort()), e.getMessage());
      assertTrue(e.getMessage().contains("--scorer.metrics-port=N or PIN_SCORER_METRICS_PORT"),
          e.getMessage());
      assertTrue(e.getMessage().endsWith("or -1 to turn the metrics endpoint off"),
          e.getMessage());
    }
  }

  @Test
  void aBusyGrpcPortNamesThePortAndTheSetting() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      ConfigException e = startWith(busy.getLocalPort(), -1);
      assertEquals("scorer.port", e.key());
      assertTrue(e.getMessage().startsWith("scorer.port: cannot listen on 127.0.0.1:"
          + busy.getLocalPort()), e.getMessage());
    }
  }
}
