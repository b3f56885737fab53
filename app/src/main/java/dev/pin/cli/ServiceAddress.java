package dev.pin.cli;

import dev.pin.kit.config.TlsSettings;
import dev.pin.kit.grpc.BearerToken;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.Optional;

/**
 * Where a client command finds one service ({@code host:port}, or {@code in-process:NAME} for an
 * embedded ensemble in the same JVM) and which of its flag, its environment variable or the default
 * gave the address, so that a failed call can name the service, the address and how to change it.
 *
 * @param service the service's name, e.g. "orchestrator"
 * @param address the address used
 * @param flag the flag that sets it, e.g. "--address"
 * @param envVar the environment variable that sets it, e.g. "PIN_ADDRESS"
 * @param source where {@code address} came from, e.g. "--address" or "the default"
 * @param env the environment, for the token and TLS files ({@code PIN_TOKEN}, {@code
 *     PIN_TLS_CA}, …)
 */
record ServiceAddress(String service, String address, String flag, String envVar,
    String source, Map<String, String> env) {
  /** Trailer the channel adds to every failed call, so an error names the service it came from. */
  static final Metadata.Key<String> SERVICE_KEY =
      Metadata.Key.of("pin-cli-service", Metadata.ASCII_STRING_MARSHALLER);

  /** The flag's value if given, else the environment variable's if set, else the default. */
  static ServiceAddress resolve(String service, String flagValue, String flag, String envVar,
      String defaultAddress, Map<String, String> env) {
    if (flagValue != null && !flagValue.isBlank()) {
      return new ServiceAddress(service, flagValue, flag, envVar, flag, env);
    }
    String fromEnv = env.get(envVar);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new ServiceAddress(service, fromEnv.strip(), flag, envVar, "$" + envVar, env);
    }
    return new ServiceAddress(service, defaultAddress, flag, envVar, "the default", env);
  }

  /**
   * An in-process or TCP channel whose failed calls carry {@link #SERVICE_KEY}. It sends {@code
   * $PIN_TOKEN} (the user's own token) as a bearer token, else {@code $PIN_AUTH_TOKEN} (the
   * ensemble's); and dials with TLS when {@code $PIN_TLS_CA} (the CA to trust) or {@code
   * $PIN_TLS_CERT} and {@code $PIN_TLS_KEY} (a client certificate, for mutual TLS) are set.
   */
  ManagedChannel open() {
    ManagedChannelBuilder<?> builder = address.startsWith("in-process:")
        ? InProcessChannelBuilder.forName(address.substring("in-process:".length()))
        : NettyChannelBuilder.forTarget(address,
            TlsSettings.fromEnvironment(env).channelCredentials());
    String token = token(env);
    if (!token.isEmpty()) {
      builder.intercept(BearerToken.send(token));
    }
    return builder.intercept(tagFailures()).build();
  }

  /** {@code $PIN_TOKEN}, else {@code $PIN_AUTH_TOKEN}, else "". */
  static String token(Map<String, String> env) {
    for (String name : new String[] {"PIN_TOKEN", "PIN_AUTH_TOKEN"}) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return value.strip();
      }
    }
    return "";
  }

  /** The service a failed call went to, if it went through a channel of {@link #open}. */
  static Optional<String> serviceOf(StatusRuntimeException e) {
    Metadata trailers = e.getTrailers();
    return Optional.ofNullable(trailers == null ? null : trailers.get(SERVICE_KEY));
  }

  /**
   * What a person reads when a call to this service failed: the service, its address and where
   * that came from; for UNAVAILABLE, how to start the ensemble or point the command elsewhere.
   */
  String explain(Status status) {
    String code = status.getCode() + (status.getDescription() == null ? ""
        : ": " + status.getDescription());
    String where = "the " + service + " at " + address + " (from " + source + ")";
    return switch (status.getCode()) {
      case UNAVAILABLE -> "cannot reach " + where + ": " + code + "\n  If nothing is listening "
          + "there, start the ensemble with `pin up`; otherwise point " + flag + " or $" + envVar
          + " at the running " + service + ".";
      case DEADLINE_EXCEEDED -> where + " did not answer in time: " + code;
      case UNAUTHENTICATED -> where + " answered " + code + "\n  Set $PIN_TOKEN to your token "
          + "(or $PIN_AUTH_TOKEN to the ensemble's).";
      case PERMISSION_DENIED -> where + " answered " + code;
      default -> where + " answered " + code;
    };
  }

  private ClientInterceptor tagFailures() {
    String name = service;
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method,
          CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method,
            options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
                listener) {
              @Override
              public void onClose(Status status, Metadata trailers) {
                if (!status.isOk()) {
                  trailers.put(SERVICE_KEY, name);
                }
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    };
  }
}
