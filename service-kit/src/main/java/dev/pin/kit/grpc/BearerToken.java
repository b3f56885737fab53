package dev.pin.kit.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Bearer-token authentication, one shared secret per ensemble ({@code PIN_AUTH_TOKEN}): servers
 * refuse a call of their API without {@code authorization: Bearer <token>} with UNAUTHENTICATED,
 * and every client (peer channels, the pin command) sends it. Without TLS the token crosses the
 * network in clear; use it inside a private network or behind a TLS-terminating proxy.
 */
public final class BearerToken {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private BearerToken() {}

  /** Refuses calls that do not carry {@code token}. */
  public static ServerInterceptor require(String token) {
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String given = headers.get(AUTHORIZATION);
        // Constant-time, so the comparison does not tell how much of a guess was right.
        if (given == null
            || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
          call.close(Status.UNAUTHENTICATED.withDescription(given == null
              ? "this service requires a bearer token: set PIN_AUTH_TOKEN (the ensemble's "
                  + "token) for the client"
              : "the bearer token does not match this service's (PIN_AUTH_TOKEN)"),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Sends {@code token} with every call. */
  public static ClientInterceptor send(String token) {
    String value = "Bearer " + token;
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(
            next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(AUTHORIZATION, value);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
