package dev.pin.kit.server;

import dev.pin.kit.client.Channels;
import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.config.TlsSettings;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The plumbing of a service's {@code main}: flags to config, TCP transport, shutdown hook. */
public final class ServiceLauncher {
  private static final Logger log = LoggerFactory.getLogger(ServiceLauncher.class);

  /**
   * The shortest interval between a client's keepalive pings that the servers accept. It must be
   * below {@link Channels#KEEPALIVE_TIME}: grpc-java's default (5 minutes) made every server end
   * the orchestrator's connections with GOAWAY {@code too_many_pings} about a minute into a run in
   * the distributed deployment (deploy/ci/compose-test.sh), failing the run.
   */
  public static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);

  private ServiceLauncher() {}

  /**
   * A plaintext TCP server builder bound to {@code host:port}, accepting the peers' keepalive
   * pings.
   */
  public static ServerBuilder<?> tcp(String host, int port) {
    return tcp(host, port, TlsSettings.OFF);
  }

  /** The TCP transport of a service: its host and port, with TLS when {@code tls.cert} is set. */
  public static ServerBuilder<?> tcp(ServerSettings settings) {
    return tcp(settings.host(), settings.port(), settings.tls());
  }

  private static ServerBuilder<?> tcp(String host, int port, TlsSettings tls) {
    return NettyServerBuilder.forAddress(new InetSocketAddress(host, port),
            tls.serverCredentials())
        .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS);
  }

  /** Loads flags (and {@code --config FILE}) over {@code PIN_*} environment variables. */
  public static Config config(String[] args) {
    Logging.init();
    return Config.load(Arrays.asList(args), System.getenv());
  }

  /**
   * The whole {@code main} of a service running alone on TCP: reads its settings (configuration
   * errors exit 2 with the key named), rejects unknown keys of its sections, serves until SIGTERM.
   */
  public static int serveAlone(
      Config config,
      String service,
      BiFunction<Config, PrometheusMeterRegistry, ServiceModule> moduleFactory) {
    PrometheusMeterRegistry registry = Metrics.newRegistry(service);
    ServiceModule module;
    try {
      module = moduleFactory.apply(config, registry);
      // models.* is shared: a service that reads no model leaves it to the others.
      config.requireAllConsumed(List.of(service));
    } catch (ConfigException e) {
      System.err.println("configuration error: " + e.getMessage());
      return 2;
    }
    ServerSettings server = module.server();
    ServiceHost host = new ServiceHost(module, registry,
        List.of(tcp(server)));
    return runUntilShutdown(List.of(host));
  }

  /** Something {@link #runUntilShutdown} can start and stop. */
  public interface Startable extends AutoCloseable {
    void start() throws Exception;

    @Override
    void close();
  }

  /**
   * Starts the servers, stops them gracefully on SIGTERM/SIGINT, and blocks until then. Returns
   * the process exit code: 0 after a clean stop, 2 for a configuration error.
   */
  public static int runUntilShutdown(List<? extends Startable> servers) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down");
      // Reverse order: the orchestrator (last started) stops before the services it calls.
      for (int i = servers.size() - 1; i >= 0; i--) {
        servers.get(i).close();
      }
      stopped.countDown();
    }, "pin-shutdown"));
    try {
      for (Startable server : servers) {
        server.start();
      }
    } catch (ConfigException e) {
      System.err.println("configuration error: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      System.err.println("failed to start: " + e);
      return 1;
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
