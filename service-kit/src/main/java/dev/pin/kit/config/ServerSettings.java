package dev.pin.kit.config;

import java.time.Duration;

/**
 * How one service's gRPC server is exposed. Read from {@code <service>.*} keys.
 *
 * @param service the service's short name ({@code policy}, {@code reward}, {@code scorer},
 *     {@code orchestrator}); also the prefix of its keys and its metrics tag
 * @param host interface the gRPC and metrics servers bind ({@code <service>.host}, else {@code
 *     bind}, default 127.0.0.1: a laptop's services are not reachable from its network unless
 *     asked; containers set {@code PIN_BIND=0.0.0.0})
 * @param port gRPC port ({@code <service>.port}; 0 picks a free one)
 * @param metricsPort Prometheus HTTP port ({@code <service>.metrics-port}; 0 picks a free one, -1
 *     turns the endpoint off)
 * @param maxMessageBytes largest inbound message ({@code <service>.max-message-bytes}, default
 *     64 MiB: a scoring batch of long inputs or a Q-table diagnostic can exceed gRPC's 4 MiB)
 * @param shutdownGrace how long in-flight calls may finish on shutdown ({@code
 *     <service>.shutdown-grace}, default 10s)
 * @param handlerThreads threads running RPC handlers ({@code <service>.handler-threads}); model
 *     inference blocks, so this bounds how many calls compute at once
 * @param maxQueuedCalls calls that may wait for a handler thread ({@code
 *     <service>.max-queued-calls}, default 256); beyond it a call is answered RESOURCE_EXHAUSTED
 *     at once instead of waiting behind minutes of model work (peers retry such calls)
 * @param auth the bearer tokens the service's API accepts and the identities they stand for
 *     ({@code <service>.auth-token} or {@code auth.token}, i.e. {@code $PIN_AUTH_TOKEN}, and {@code
 *     auth.tokens-file}; none: no authentication). Health and reflection stay open unless {@code
 *     auth.open} says otherwise
 * @param tls TLS on the gRPC port ({@code tls.*}; off unless {@code tls.cert} is set)
 * @param healthPort a second, plaintext port serving only {@code grpc.health.v1.Health}, without
 *     token ({@code <service>.health-port}, default -1: none). For probes that speak neither TLS
 *     nor bearer tokens, such as Kubernetes' own gRPC probes, once the main port is locked down
 */
public record ServerSettings(
    String service,
    String host,
    int port,
    int metricsPort,
    long maxMessageBytes,
    Duration shutdownGrace,
    int handlerThreads,
    int maxQueuedCalls,
    AuthSettings auth,
    TlsSettings tls,
    int healthPort) {

  /**
   * The key that sets the bind address of every service at once ({@code PIN_BIND}, {@code
   * --bind}); the same variable chooses the host address of the compose file's published ports.
   */
  public static final String BIND_KEY = "bind";

  /** The default bind address: loopback only. */
  public static final String LOOPBACK = "127.0.0.1";

  /** gRPC ports of the four services, in the order orchestrator, policy, reward, scorer. */
  public static int defaultPort(String service) {
    return switch (service) {
      case "orchestrator" -> 50050;
      case "policy" -> 50051;
      case "reward" -> 50052;
      case "scorer" -> 50053;
      default -> throw new IllegalArgumentException("unknown service " + service);
    };
  }

  /** Prometheus ports: 9450 + the same order. */
  public static int defaultMetricsPort(String service) {
    return 9450 + defaultPort(service) - 50050;
  }

  /** Reads {@code <service>.*}. */
  public static ServerSettings read(Config config, String service) {
    String p = service + ".";
    int cores = Runtime.getRuntime().availableProcessors();
    return new ServerSettings(
        service,
        config.string(p + "host", config.string(BIND_KEY, LOOPBACK)),
        config.port(p + "port", defaultPort(service)),
        config.integer(p + "metrics-port", defaultMetricsPort(service), -1, 65535),
        config.bytes(p + "max-message-bytes", 64L << 20, 1L << 20, 1L << 30),
        config.duration(p + "shutdown-grace", Duration.ofSeconds(10)),
        config.integer(p + "handler-threads", Math.max(4, 2 * cores), 1, 1024),
        config.integer(p + "max-queued-calls", 256, 1, 1 << 20),
        AuthSettings.read(config, service),
        TlsSettings.read(config),
        config.integer(p + "health-port", -1, -1, 65535));
  }

  /** {@code $PIN_AUTH_TOKEN}, the token a whole ensemble and its clients share, or "". */
  public static String envAuthToken() {
    String token = System.getenv("PIN_AUTH_TOKEN");
    return token == null ? "" : token.strip();
  }

  /** The same settings with authentication and TLS replaced (tests, embedded mode). */
  public ServerSettings with(AuthSettings newAuth, TlsSettings newTls) {
    return new ServerSettings(service, host, port, metricsPort, maxMessageBytes, shutdownGrace,
        handlerThreads, maxQueuedCalls, newAuth, newTls, healthPort);
  }
}
