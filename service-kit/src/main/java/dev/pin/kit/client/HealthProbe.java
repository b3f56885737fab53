package dev.pin.kit.client;

import dev.pin.kit.config.AuthSettings;
import dev.pin.kit.config.TlsSettings;
import dev.pin.kit.grpc.BearerToken;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC health probe for container health checks: {@code java -cp … HealthProbe
 * localhost:50051 [service]} exits 0 when the service is SERVING, 1 otherwise. In a locked-down
 * container it dials with TLS ({@code PIN_TLS_CA}, {@code PIN_TLS_CERT}, {@code PIN_TLS_KEY})
 * and sends {@code PIN_AUTH_TOKEN} (needed only when {@code auth.open} closes health).
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: HealthProbe HOST:PORT [SERVICE]");
      System.exit(2);
    }
    String token = AuthSettings.ensembleToken(dev.pin.kit.config.Config.load(
        java.util.List.of(), System.getenv()));
    ServingStatus status = check(args[0], args.length == 2 ? args[1] : "",
        TlsSettings.fromEnvironment(System.getenv()), token);
    System.out.println(args[0] + " " + status);
    System.exit(status == ServingStatus.SERVING ? 0 : 1);
  }

  /**
   * How long one check may take, connecting included. A TLS handshake in the probe's fresh JVM
   * (class loading, key parsing, no JIT yet) took more than 5 s on a loaded 2-core machine, and a
   * SERVING service was then marked unhealthy; the container's health-check timeout bounds the
   * probe anyway (compose: {@code PIN_HEALTHCHECK_TIMEOUT}, 30 s).
   */
  static final long DEADLINE_SECONDS = 20;

  /**
   * The health of {@code service} ("" = the whole server) at {@code address}, within {@link
   * #DEADLINE_SECONDS}.
   */
  public static ServingStatus check(String address, String service) {
    return check(address, service, TlsSettings.OFF, "");
  }

  /** The same over TLS when {@code tls} says so, with a bearer token when there is one. */
  public static ServingStatus check(String address, String service, TlsSettings tls,
      String token) {
    ManagedChannelBuilder<?> builder =
        NettyChannelBuilder.forTarget(address, tls.channelCredentials());
    if (!token.isEmpty()) {
      builder.intercept(BearerToken.send(token));
    }
    ManagedChannel channel = builder.build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } catch (StatusRuntimeException e) {
      return ServingStatus.UNKNOWN;
    } finally {
      channel.shutdownNow();
    }
  }
}
