package dev.pin.kit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.client.Channels;
import dev.pin.kit.client.HealthProbe;
import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.config.TlsSettings;
import dev.pin.kit.grpc.BearerToken;
import dev.pin.kit.grpc.Identity;
import dev.pin.kit.testing.Await;
import dev.pin.kit.testing.Reflection;
import dev.pin.kit.testing.TestCertificates;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.ScorerGrpc;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17 item 6, lock-down one setting away: TLS on the gRPC port ({@code tls.*}, mutual TLS
 * optional), bearer tokens with identities ({@code auth.tokens-file}), health and reflection open
 * by {@code auth.open}, and the run-owner header trusted from admins only.
 */
class LockdownTest {
  @TempDir static Path certs;
  private static TestCertificates ca;
  private static TestCertificates.Leaf server;
  private static TestCertificates.Leaf client;
  private ServiceHost host;
  private final List<ManagedChannel> channels = new java.util.ArrayList<>();

  /** Answers with the caller's identity and the run owner it may name, as the prompt's text. */
  private static final class WhoAmI extends ScorerGrpc.ScorerImplBase {
    @Override
    public void naturalness(NaturalnessRequest r, StreamObserver<NaturalnessResponse> out) {
      Identity me = Identity.current();
      String text = me.name() + (me.admin() ? "+admin" : "") + "|"
          + Identity.runOwner().orElse("-");
      out.onNext(NaturalnessResponse.newBuilder().addResults(PromptNaturalness.newBuilder()
          .setPrompt(Prompt.newBuilder().setText(text))).build());
      out.onCompleted();
    }
  }

  @BeforeAll
  static void makeCertificates() throws Exception {
    ca = new TestCertificates(certs);
    server = ca.issue("server");
    client = ca.issue("client");
  }

  @AfterEach
  void tearDown() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (host != null) {
      host.close();
    }
  }

  private ServiceHost start(Map<String, String> settings, boolean tcp) throws Exception {
    Map<String, String> all = new HashMap<>(Map.of("scorer.port", "0",
        "scorer.metrics-port", "-1", "scorer.shutdown-grace", "1s"));
    all.putAll(settings);
    ServerSettings s = ServerSettings.read(Config.of(all), "scorer");
    ServiceModule module = new ServiceModule() {
      @Override
      public String name() {
        return "scorer";
      }

      @Override
      public ServerSettings server() {
        return s;
      }

      @Override
      public List<BindableService> services() {
        return List.of(new WhoAmI());
      }
    };
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(module, Metrics.newRegistry("scorer"), List.of(tcp
        ? ServiceLauncher.tcp(s) : InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(10, TimeUnit.SECONDS));
    if (!tcp) {
      channels.add(InProcessChannelBuilder.forName(name).build());
    }
    return host;
  }

  private ManagedChannel peer(Map<String, String> clientSettings) {
    Map<String, String> all = new HashMap<>(clientSettings);
    all.put("test.scorer.address", "localhost:" + host.port());
    ManagedChannel c = Channels.open(ClientSettings.read(Config.of(all), "test", "scorer"),
        Metrics.newRegistry("test-client"));
    channels.add(c);
    return c;
  }

  private static String whoAmI(Channel channel) {
    return ScorerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .naturalness(NaturalnessRequest.newBuilder().addPrompts(Prompt.newBuilder().setText("x"))
            .build()).getResults(0).getPrompt().getText();
  }

  private static ServingStatus health(Channel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  @Test
  void tlsOnTheGrpcPortClientsTrustTheConfiguredCa() throws Exception {
    start(Map.of("tls.cert", server.cert().toString(), "tls.key", server.key().toString()), true);
    ManagedChannel trusted = peer(Map.of("tls.ca", ca.ca().toString()));
    assertEquals("+admin|-", whoAmI(trusted), "a peer channel trusting tls.ca gets through TLS");
    assertEquals(ServingStatus.SERVING, health(trusted));

    ManagedChannel plaintext = peer(Map.of());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> whoAmI(plaintext));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "no plaintext on a TLS port");

    // A client that trusts another CA refuses the server.
    Path otherDir = Files.createDirectories(certs.resolve("other"));
    ManagedChannel untrusting = peer(Map.of("tls.ca",
        new TestCertificates(otherDir).ca().toString()));
    e = assertThrows(StatusRuntimeException.class, () -> whoAmI(untrusting));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());

    assertEquals(ServingStatus.SERVING, HealthProbe.check("localhost:" + host.port(), "",
        new TlsSettings(null, null, ca.ca(), "none"), ""), "the container probe speaks TLS");
  }

  @Test
  void aPlaintextHealthPortServesProbesThatSpeakNeitherTlsNorTokens() throws Exception {
    start(Map.of("tls.cert", server.cert().toString(), "tls.key", server.key().toString(),
        "scorer.auth-token", "ensemble-token-0123456789", "auth.open", "none",
        "scorer.health-port", "0", "scorer.host", "127.0.0.1"), true);
    assertTrue(host.healthPort() > 0);
    // What a Kubernetes gRPC probe does: plaintext, no token, grpc.health.v1.Health/Check.
    assertEquals(ServingStatus.SERVING,
        HealthProbe.check("127.0.0.1:" + host.healthPort(), "pin.v1.Scorer"));
    ManagedChannel plain = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1",
        host.healthPort()).usePlaintext().build();
    channels.add(plain);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> whoAmI(plain));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), "only health there");
    assertEquals(ServingStatus.UNKNOWN, HealthProbe.check("127.0.0.1:" + host.port(), ""),
        "the main port stays TLS-only");
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificateFromTheCa() throws Exception {
    start(Map.of("tls.cert", server.cert().toString(), "tls.key", server.key().toString(),
        "tls.ca", ca.ca().toString(), "tls.client-auth", "require"), true);
    assertEquals("+admin|-", whoAmI(peer(Map.of("tls.ca", ca.ca().toString(),
        "tls.cert", client.cert().toString(), "tls.key", client.key().toString()))));
    ManagedChannel noCertificate = peer(Map.of("tls.ca", ca.ca().toString()));
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> whoAmI(noCertificate));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
  }

  @Test
  void tokensFileIdentitiesReachTheHandlersAndUnknownTokensAreRefused(@TempDir Path dir)
      throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, """
        # identity  token                              role
        alice       alice-token-0123456789abcdef
        ops         ops-token-0123456789abcdef         admin
        """);
    start(Map.of("auth.tokens-file", tokens.toString(), "scorer.auth-token",
        "ensemble-token-0123456789"), false);
    Channel channel = channels.get(0);
    assertEquals("alice|-", whoAmI(io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("alice-token-0123456789abcdef"))));
    assertEquals("ops+admin|-", whoAmI(io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("ops-token-0123456789abcdef"))));
    assertEquals("ensemble+admin|-", whoAmI(io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("ensemble-token-0123456789"))));

    StatusRuntimeException none = assertThrows(StatusRuntimeException.class,
        () -> whoAmI(channel));
    assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
    assertTrue(none.getStatus().getDescription().contains("requires a bearer token"),
        none.getStatus().getDescription());
    StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> whoAmI(
        io.grpc.ClientInterceptors.intercept(channel, BearerToken.send("alice-token-guess"))));
    assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    assertTrue(wrong.getStatus().getDescription().contains("not one this service accepts"));
    assertFalse(wrong.getStatus().getDescription().contains("alice"), "never echoes a token");

    // Health and reflection stay open by default: probes and grpcurl list need no token.
    assertEquals(ServingStatus.SERVING, health(channel));
    assertTrue(Reflection.listServices(channel).contains("pin.v1.Scorer"));
  }

  @Test
  void authOpenNoneClosesHealthAndReflectionToo() throws Exception {
    start(Map.of("scorer.auth-token", "ensemble-token-0123456789", "auth.open", "none"), false);
    Channel channel = channels.get(0);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> health(channel));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    Exception r = assertThrows(Exception.class, () -> Reflection.listServices(channel));
    assertTrue(r.toString().contains("UNAUTHENTICATED"), r.toString());
    Channel withToken = io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("ensemble-token-0123456789"));
    assertEquals(ServingStatus.SERVING, health(withToken));
    assertTrue(Reflection.listServices(withToken).contains("pin.v1.Scorer"));
  }

  @Test
  void theRunOwnerHeaderIsTrustedFromAdminsOnly(@TempDir Path dir) throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "alice alice-token-0123456789abcdef\n");
    start(Map.of("auth.tokens-file", tokens.toString(), "auth.token",
        "ensemble-token-0123456789"), false);
    Channel channel = channels.get(0);
    assertEquals("ensemble+admin|alice", whoAmI(io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("ensemble-token-0123456789"), Identity.actingForRunOf("alice"))));
    assertEquals("alice|-", whoAmI(io.grpc.ClientInterceptors.intercept(channel,
        BearerToken.send("alice-token-0123456789abcdef"), Identity.actingForRunOf("bob"))),
        "a user cannot pass its policies off as someone's run's");
  }

  @Test
  void withAuthenticationOffEveryCallerIsTheAnonymousAdmin() throws Exception {
    start(Map.of(), false);
    assertEquals("+admin|-", whoAmI(channels.get(0)));
  }

  @Test
  void badLockDownSettingsNameTheirKey(@TempDir Path dir) throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> ServerSettings.read(
        Config.of(Map.of("tls.cert", server.cert().toString())), "scorer"));
    assertTrue(e.getMessage().contains("tls.key"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ServerSettings.read(Config.of(Map.of(
        "tls.cert", server.cert().toString(), "tls.key", server.key().toString(),
        "tls.client-auth", "require")), "scorer"));
    assertTrue(e.getMessage().contains("tls.ca"), e.getMessage());
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "alice tiny-secret\n");
    e = assertThrows(ConfigException.class, () -> ServerSettings.read(
        Config.of(Map.of("auth.tokens-file", tokens.toString())), "scorer"));
    assertTrue(e.getMessage().contains("line 1") && !e.getMessage().contains("tiny-secret"),
        e.getMessage());
    Files.writeString(tokens, "alice alice-token-0123456789abcdef\n"
        + "bob alice-token-0123456789abcdef\n");
    e = assertThrows(ConfigException.class, () -> ServerSettings.read(
        Config.of(Map.of("auth.tokens-file", tokens.toString())), "scorer"));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> ServerSettings.read(
        Config.of(Map.of("auth.open", "health,metrics")), "scorer"));
    assertEquals("auth.open", e.key());
    assertFalse(ServerSettings.read(Config.of(Map.of("auth.token", "s3cret-0123456789")),
        "scorer").toString().contains("s3cret"), "settings never print a token");
    // The ensemble's token from a mounted secret file (auth.token-file, PIN_AUTH_TOKEN_FILE).
    Path secret = dir.resolve("ensemble-token");
    Files.writeString(secret, "from-a-file-0123456789\n");
    Map<String, String> fromFile = Map.of("auth.token-file", secret.toString(),
        "test.scorer.address", "localhost:1");
    assertEquals("from-a-file-0123456789", ServerSettings.read(Config.of(fromFile), "scorer")
        .auth().ensembleToken());
    assertEquals("from-a-file-0123456789",
        ClientSettings.read(Config.of(fromFile), "test", "scorer").authToken());
  }
}
