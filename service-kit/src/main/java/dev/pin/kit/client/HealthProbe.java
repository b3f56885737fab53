package dev.pin.kit.client;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC health probe for container health checks: {@code java -cp … HealthProbe
 * localhost:50051 [service]} exits 0 when the service is SERVING, 1 otherwise.
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: HealthProbe HOST:PORT [SERVICE]");
      System.exit(2);
    }
    ServingStatus status = check(args[0], args.length == 2 ? args[1] : "");
    System.out.println(args[0] + " " + status);
    System.exit(status == ServingStatus.SERVING ? 0 : 1);
  }

  /** The health of {@code service} ("" = the whole server) at {@code address}, within 5 s. */
  public static ServingStatus check(String address, String service) {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(address).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } catch (StatusRuntimeException e) {
      return ServingStatus.UNKNOWN;
    } finally {
      channel.shutdownNow();
    }
  }
}
