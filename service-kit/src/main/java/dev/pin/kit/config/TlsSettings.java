package dev.pin.kit.config;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * TLS on the gRPC ports and on the channels between services. Read from the shared {@code tls.*}
 * keys ({@code PIN_TLS_CERT}, …), so one setting turns it on for a whole ensemble; off when unset.
 *
 * @param cert PEM certificate chain the servers present ({@code tls.cert}); also the client
 *     certificate a service presents to its peers, for mutual TLS. Its subject alternative names
 *     must cover the names clients dial (e.g. {@code reward}, {@code localhost})
 * @param key PEM private key (PKCS#8) of {@code cert} ({@code tls.key})
 * @param ca PEM certificates that clients trust for the servers and that servers trust for client
 *     certificates ({@code tls.ca}); unset: the JDK's default trust store
 * @param clientAuth whether servers ask for client certificates ({@code tls.client-auth}):
 *     {@code none} (default), {@code optional}, or {@code require} (mutual TLS: a client without a
 *     certificate signed by {@code ca} cannot connect)
 */
public record TlsSettings(Path cert, Path key, Path ca, String clientAuth) {
  /** No TLS: plaintext ports and channels (the laptop default). */
  public static final TlsSettings OFF = new TlsSettings(null, null, null, "none");

  /** Reads {@code tls.*} and checks that the files named are there. */
  public static TlsSettings read(Config config) {
    Path cert = config.has("tls.cert") ? config.path("tls.cert", null) : null;
    Path key = config.has("tls.key") ? config.path("tls.key", null) : null;
    Path ca = config.has("tls.ca") ? config.path("tls.ca", null) : null;
    String clientAuth = config.oneOf("tls.client-auth", "none",
        List.of("none", "optional", "require"));
    if ((cert == null) != (key == null)) {
      String missing = cert == null ? "tls.cert" : "tls.key";
      throw new ConfigException(missing, "tls.cert and tls.key go together: set " + missing
          + " too (the PEM certificate chain and its PKCS#8 private key)");
    }
    if (!clientAuth.equals("none") && (cert == null || ca == null)) {
      throw new ConfigException("tls.client-auth", "tls.client-auth=" + clientAuth + " needs "
          + "tls.cert and tls.key (the server's own certificate) and tls.ca (what signs the "
          + "clients' certificates)");
    }
    requireFile("tls.cert", cert);
    requireFile("tls.key", key);
    requireFile("tls.ca", ca);
    return new TlsSettings(cert, key, ca, clientAuth);
  }

  private static void requireFile(String key, Path file) {
    if (file != null && !Files.isReadable(file)) {
      throw new ConfigException(key, "cannot read " + file + " (expected a PEM file)");
    }
  }

  /** Whether the servers listen with TLS. */
  public boolean serverEnabled() {
    return cert != null;
  }

  /**
   * Whether clients (peer channels) dial with TLS: when this process has a certificate (its
   * peers are configured like it) or a CA to trust.
   */
  public boolean clientEnabled() {
    return cert != null || ca != null;
  }

  /** What a TCP server listens with: TLS with {@code cert}/{@code key}, else plaintext. */
  public ServerCredentials serverCredentials() {
    if (!serverEnabled()) {
      return InsecureServerCredentials.create();
    }
    try {
      TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder()
          .keyManager(cert.toFile(), key.toFile());
      if (ca != null) {
        b.trustManager(ca.toFile());
      }
      b.clientAuth(switch (clientAuth) {
        case "require" -> TlsServerCredentials.ClientAuth.REQUIRE;
        case "optional" -> TlsServerCredentials.ClientAuth.OPTIONAL;
        default -> TlsServerCredentials.ClientAuth.NONE;
      });
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS certificate or key", e);
    }
  }

  /** What a TCP channel dials with: TLS trusting {@code ca}, presenting {@code cert}, or plaintext. */
  public ChannelCredentials channelCredentials() {
    if (!clientEnabled()) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
      if (ca != null) {
        b.trustManager(ca.toFile());
      }
      if (cert != null) {
        b.keyManager(cert.toFile(), key.toFile());
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the TLS CA, certificate or key", e);
    }
  }

  /** TLS for a client outside any service (the pin command): {@code PIN_TLS_CA}, {@code
   * PIN_TLS_CERT} and {@code PIN_TLS_KEY} from the environment. */
  public static TlsSettings fromEnvironment(java.util.Map<String, String> env) {
    Path ca = pathOf(env.get("PIN_TLS_CA"));
    Path cert = pathOf(env.get("PIN_TLS_CERT"));
    Path key = pathOf(env.get("PIN_TLS_KEY"));
    if ((cert == null) != (key == null)) {
      throw new ConfigException(cert == null ? "PIN_TLS_CERT" : "PIN_TLS_KEY",
          "PIN_TLS_CERT and PIN_TLS_KEY go together (a client certificate for mutual TLS)");
    }
    return new TlsSettings(cert, key, ca, "none");
  }

  private static Path pathOf(String value) {
    return value == null || value.isBlank() ? null : Path.of(value.strip());
  }
}
