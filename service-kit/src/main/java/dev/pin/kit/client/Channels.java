package dev.pin.kit.client;

import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.grpc.BearerToken;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingClientInterceptor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Opens channels to peer services. Whoever opens a channel closes it; stubs and clients take the
 * plain {@link Channel}.
 */
public final class Channels {
  /** Address prefix of embedded mode's in-process transport. */
  public static final String IN_PROCESS = "in-process:";

  /**
   * How often a TCP channel pings a peer while calls are open, so that a long call (a run's
   * stream, a slow batch) notices a dead peer. Servers must permit pings at least this often
   * ({@code ServiceLauncher.PERMIT_KEEPALIVE_TIME}); otherwise they answer a few pings with
   * GOAWAY {@code too_many_pings} and every call on the connection fails.
   */
  public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(30);

  /**
   * Peer calls that met a full queue (RESOURCE_EXHAUSTED: the request was refused before any work)
   * are tried again, up to 5 attempts with exponential backoff from 0.5 s and gRPC's jitter,
   * inside the call's deadline; so are reward and scorer calls that met UNAVAILABLE (a replica
   * restarting; their calls are idempotent). A policy that was UNAVAILABLE may have lost its
   * state, which the run's recovery restores from its checkpoint, so those are not retried here.
   */
  static final Map<String, ?> RETRIES = Map.of("methodConfig", List.of(
      Map.of("name", List.of(Map.of("service", "pin.v1.Reward"), Map.of("service", "pin.v1.Scorer")),
          "retryPolicy", retryPolicy(List.of("RESOURCE_EXHAUSTED", "UNAVAILABLE"))),
      Map.of("name", List.of(Map.of("service", "pin.v1.Policy")),
          "retryPolicy", retryPolicy(List.of("RESOURCE_EXHAUSTED")))));

  private static Map<String, ?> retryPolicy(List<String> codes) {
    // The service-config JSON model: numbers are doubles, durations strings.
    return Map.of("maxAttempts", 5.0, "initialBackoff", "0.5s", "maxBackoff", "8s",
        "backoffMultiplier", 2.0, "retryableStatusCodes", codes);
  }

  private Channels() {}

  /**
   * A channel to {@code settings.address()}: in-process, {@code dns:///} with round-robin over
   * every resolved replica, or a plain {@code host:port}; TCP channels use TLS when {@code
   * settings.tls()} says so, and send the bearer token when there is one. Every call on it gets the configured
   * deadline unless the caller set one, and client-side latency metrics.
   */
  public static ManagedChannel open(ClientSettings settings, MeterRegistry registry) {
    String address = settings.address();
    ManagedChannelBuilder<?> builder;
    if (address.startsWith(IN_PROCESS)) {
      builder = InProcessChannelBuilder.forName(address.substring(IN_PROCESS.length()));
    } else {
      // TLS when tls.cert or tls.ca is set, trusting tls.ca and presenting tls.cert (mTLS).
      builder = NettyChannelBuilder.forTarget(address, settings.tls().channelCredentials())
          // Scaled-out replicas behind one DNS name share the load call by call.
          .defaultLoadBalancingPolicy("round_robin")
          .keepAliveTime(KEEPALIVE_TIME.toSeconds(), TimeUnit.SECONDS);
    }
    builder.maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, settings.maxMessageBytes()));
    builder.enableRetry().defaultServiceConfig(RETRIES);
    builder.intercept(
        new MetricCollectingClientInterceptor(registry),
        deadlines(settings.unaryDeadline(), settings.streamDeadline()));
    if (!settings.authToken().isEmpty()) {
      builder.intercept(BearerToken.send(settings.authToken()));
    }
    return builder.build();
  }

  /**
   * Gives every call without a deadline one: {@code unary} for unary calls, {@code stream} for
   * streaming calls, which live as long as a run.
   */
  public static ClientInterceptor deadlines(Duration unary, Duration stream) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (options.getDeadline() == null) {
          Duration d = method.getType() == MethodDescriptor.MethodType.UNARY ? unary : stream;
          options = options.withDeadlineAfter(d.toMillis(), TimeUnit.MILLISECONDS);
        }
        return next.newCall(method, options);
      }
    };
  }

  /** Shuts a channel down, waiting briefly for calls in flight. */
  public static void close(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
