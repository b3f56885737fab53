package dev.pin.kit.grpc;

import dev.pin.kit.config.AuthSettings;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Bearer-token authentication: servers refuse a call without {@code authorization: Bearer
 * <token>} naming one of their tokens ({@link AuthSettings}) with UNAUTHENTICATED, and make the
 * token's identity the call's {@link Identity}; every client (peer channels, the pin command)
 * sends its token. Without TLS ({@code tls.cert}) the token crosses the network in clear.
 */
public final class BearerToken {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private BearerToken() {}

  /** Refuses calls that do not carry {@code token}; the caller is the ensemble's admin. */
  public static ServerInterceptor require(String token) {
    return authenticate(new AuthSettings(
        List.of(new AuthSettings.Token(AuthSettings.ENSEMBLE, true, token)), Set.of()));
  }

  /**
   * With authentication on, refuses a call whose token is missing or unknown (UNAUTHENTICATED,
   * saying which), else runs it as the token's identity. With it off, every call runs as {@link
   * Identity#NONE}. Either way a trusted caller's {@link Identity#RUN_OWNER} header is passed on.
   */
  public static ServerInterceptor authenticate(AuthSettings auth) {
    List<byte[]> secrets = new ArrayList<>();
    for (AuthSettings.Token t : auth.tokens()) {
      secrets.add(("Bearer " + t.secret()).getBytes(StandardCharsets.UTF_8));
    }
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        Identity identity = Identity.NONE;
        if (auth.enabled()) {
          String given = headers.get(AUTHORIZATION);
          byte[] bytes = given == null ? null : given.getBytes(StandardCharsets.UTF_8);
          AuthSettings.Token match = null;
          // Constant-time per token and every token compared, so timing tells nothing of a guess.
          for (int i = 0; i < secrets.size(); i++) {
            if (bytes != null && MessageDigest.isEqual(secrets.get(i), bytes) && match == null) {
              match = auth.tokens().get(i);
            }
          }
          if (match == null) {
            call.close(Status.UNAUTHENTICATED.withDescription(given == null
                ? "this service requires a bearer token (authorization: Bearer TOKEN): set "
                    + "PIN_TOKEN (or --token) for the pin command, PIN_AUTH_TOKEN for the "
                    + "ensemble's services"
                : "the bearer token is not one this service accepts (auth.token, "
                    + "auth.tokens-file)"), new Metadata());
            return new ServerCall.Listener<>() {};
          }
          identity = new Identity(match.identity(), match.admin());
        }
        Context context = Context.current().withValue(Identity.KEY, identity);
        String owner = headers.get(Identity.RUN_OWNER);
        if (owner != null && identity.admin()) {
          context = context.withValue(Identity.RUN_OWNER_KEY, owner);
        }
        return Contexts.interceptCall(context, call, headers, next);
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
