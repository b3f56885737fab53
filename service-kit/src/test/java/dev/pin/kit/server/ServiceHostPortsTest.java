package dev.pin.kit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.v1.ScorerGrpc;
import io.grpc.BindableService;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which address the servers bind, and a port another process holds being a configuration error
 * that names the port and its setting.
 */
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

  /** Issue #17: a laptop's services listened on every interface, open to its network. */
  @Test
  void byDefaultGrpcAndMetricsListenOnLoopbackOnly() throws Exception {
    ServerSettings settings = ServerSettings.read(Config.of(Map.of(
        "scorer.port", "0", "scorer.metrics-port", "0")), "scorer");
    assertEquals("127.0.0.1", settings.host());
    ServiceHost host = new ServiceHost(module(settings), Metrics.newRegistry("scorer"),
        List.of(ServiceLauncher.tcp(settings.host(), settings.port())));
    try {
      host.start();
      assertTrue(accepts(InetAddress.getLoopbackAddress(), host.port()));
      assertTrue(accepts(InetAddress.getLoopbackAddress(), host.metricsPort()));
      Optional<InetAddress> external = nonLoopbackAddress();
      if (external.isPresent()) { // a machine with no network has nothing more to check
        assertFalse(accepts(external.get(), host.port()), "gRPC port open on " + external.get());
        assertFalse(accepts(external.get(), host.metricsPort()),
            "metrics port open on " + external.get());
      }
    } finally {
      host.close();
    }
  }

  @Test
  void oneSettingOpensEveryServiceAndAServiceKeyWinsOverIt() {
    Config config = Config.load(List.of("--policy.host=10.0.0.7"), Map.of("PIN_BIND", "0.0.0.0"));
    assertEquals("0.0.0.0", ServerSettings.read(config, "scorer").host());
    assertEquals("0.0.0.0", ServerSettings.read(config, "reward").host());
    assertEquals("10.0.0.7", ServerSettings.read(config, "policy").host());
  }

  private static boolean accepts(InetAddress address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }
}
