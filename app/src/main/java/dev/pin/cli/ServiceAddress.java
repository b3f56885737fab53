package dev.pin.cli;

import dev.pin.kit.config.ServerSettings;
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
 */
record ServiceAddress(String service, String address, String flag, String envVar,
    String source) {
  /** Trailer the channel adds to every failed call, so an error names the service it came from. */
  static final Metadata.Key<String> SERVICE_KEY =
      Metadata.Key.of("pin-cli-service", Metadata.ASCII_STRING_MARSHALLER);

  /** The flag's value if given, else the environment variable's if set, else the default. */
  static ServiceAddress resolve(String service, String flagValue, String flag, String envVar,
      String defaultAddress, Map<String, String> env) {
    if (flagValue != null && !flagValue.isBlank()) {
      return new ServiceAddress(service, flagValue, flag, envVar, flag);
    }
    String fromEnv = env.get(envVar);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new ServiceAddress(service, fromEnv.strip(), flag, envVar, "$" + envVar);
    }
    return new ServiceAddress(service, defaultAddress, flag, envVar, "the default");
  }

  /**
   * A plaintext or in-process channel whose failed calls carry {@link #SERVICE_KEY}, and
   * {@code $PIN_AUTH_TOKEN} as a bearer token when it is set (an ensemble started with one).
   */
  ManagedChannel open() {
    ManagedChannelBuilder<?> builder = address.startsWith("in-process:")
        ? InProcessChannelBuilder.forName(address.substring("in-process:".length()))
        : ManagedChannelBuilder.forTarget(address).usePlaintext();
    String token = ServerSettings.envAuthToken();
    if (!token.isEmpty()) {
      builder.intercept(BearerToken.send(token));
    }
    return builder.intercept(tagFailures()).build();
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
