package dev.pin.kit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.client.Channels;
import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.testing.Await;
import dev.pin.kit.testing.Http;
import dev.pin.kit.testing.Reflection;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.Prompt;
import dev.pin.v1.PromptNaturalness;
import dev.pin.v1.ScorerGrpc;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared bootstrap over a real in-process server and a real TCP server. */
class ServiceHostTest {
  /** Calls that reached the handler. */
  private static final AtomicInteger handlerCalls = new AtomicInteger();
  private final CountDownLatch modelsLoaded = new CountDownLatch(1);
  private ServiceHost host;
  private ManagedChannel channel;

  /** A scorer whose behaviour depends on the prompt text, to exercise the bootstrap. */
  private static final class TestScorer extends ScorerGrpc.ScorerImplBase {
    @Override
    public void naturalness(NaturalnessRequest r, StreamObserver<NaturalnessResponse> out) {
      handlerCalls.incrementAndGet();
      String text = r.getPrompts(0).getText();
      if (text.equals("bug")) {
        throw new IllegalStateException("the model exploded");
      }
      if (text.equals("bad")) {
        throw Status.INVALID_ARGUMENT.withDescription("prompts[0]: bad").asRuntimeException();
      }
      if (text.startsWith("echo")) { // a careless error message that quotes the whole input
        throw Status.INVALID_ARGUMENT.withDescription("prompts[0]: not allowed: " + text)
            .asRuntimeException();
      }
      if (text.startsWith("slow")) {
        sleep(Long.parseLong(text.substring(4)));
      }
      out.onNext(NaturalnessResponse.newBuilder()
          .addResults(PromptNaturalness.newBuilder().setPrompt(r.getPrompts(0))).build());
      out.onCompleted();
    }

    private static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private ServiceModule module(ServerSettings settings) {
    return new ServiceModule() {
      @Override
      public String name() {
        return "scorer";
      }

      @Override
      public ServerSettings server() {
        return settings;
      }

      @Override
      public List<BindableService> services() {
        return List.of(new TestScorer());
      }

      @Override
      public void warmUp() throws Exception {
        modelsLoaded.await();
      }
    };
  }

  private ServerSettings settings(String grace) {
    return ServerSettings.read(Config.of(Map.of("scorer.port", "0", "scorer.metrics-port", "0",
        "scorer.host", "127.0.0.1", "scorer.shutdown-grace", grace)), "scorer");
  }

  private void startInProcess(String grace) throws Exception {
    String name = InProcessServerBuilder.generateName();
    host = new ServiceHost(module(settings(grace)), Metrics.newRegistry("scorer"),
        List.of(InProcessServerBuilder.forName(name)));
    host.start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void tearDown() {
    modelsLoaded.countDown();
    if (channel != null) {
      channel.shutdownNow();
    }
    if (host != null) {
      host.close();
    }
  }

  private NaturalnessResponse call(String text) {
    return ScorerGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .naturalness(NaturalnessRequest.newBuilder()
            .addPrompts(Prompt.newBuilder().setText(text)).build());
  }

  private ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  /** Issue #17: Health waited 55 s behind one long Score when they shared the handler pool. */
  @Test
  void healthIsAnsweredWhileEveryHandlerIsBusy() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServerSettings one = ServerSettings.read(Config.of(Map.of("scorer.port", "0",
        "scorer.metrics-port", "-1", "scorer.host", "127.0.0.1", "scorer.handler-threads", "1")),
        "scorer");
    host = new ServiceHost(module(one), Metrics.newRegistry("scorer"),
        List.of(InProcessServerBuilder.forName(name)));
    host.start();
    channel = InProcessChannelBuilder.forName(name).build();
    modelsLoaded.countDown();
    Await.until("SERVING", Duration.ofSeconds(10), () -> health("") == ServingStatus.SERVING);
    CompletableFuture<NaturalnessResponse> busy =
        CompletableFuture.supplyAsync(() -> call("slow4000"));
    Thread.sleep(300); // the only handler thread is now asleep in the slow call
    assertEquals(ServingStatus.SERVING, health(""));
    assertFalse(busy.isDone(), "health answered while the only handler was still busy");
    busy.get(10, TimeUnit.SECONDS);
  }

  /** Issue #17: the handler queue was unbounded, so an overload queued calls without limit. */
  @Test
  void aFullQueueIsRefusedAtOnceWhileHealthStillAnswers() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServerSettings tiny = ServerSettings.read(Config.of(Map.of("scorer.port", "0",
        "scorer.metrics-port", "-1", "scorer.handler-threads", "1",
        "scorer.max-queued-calls", "1")), "scorer");
    host = new ServiceHost(module(tiny), Metrics.newRegistry("scorer"),
        List.of(InProcessServerBuilder.forName(name)));
    host.start();
    channel = InProcessChannelBuilder.forName(name).build();
    modelsLoaded.countDown();
    Await.until("SERVING", Duration.ofSeconds(10), () -> health("") == ServingStatus.SERVING);
    handlerCalls.set(0);
    CompletableFuture<NaturalnessResponse> running =
        CompletableFuture.supplyAsync(() -> call("slow2500"));
    Await.until("the only handler busy", Duration.ofSeconds(10),
        () -> handlerCalls.get() == 1);
    CompletableFuture<NaturalnessResponse> queued =
        CompletableFuture.supplyAsync(() -> call("slow10"));
    Await.until("one call queued", Duration.ofSeconds(10), () -> host.queuedCalls() == 1);

    long start = System.nanoTime();
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> call("fine"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
    assertTrue(millis < 1000, "refused after " + millis + " ms, not at once");
    assertTrue(refused.getStatus().getDescription().contains(
        "1 calls waiting for its 1 handler threads, the limit scorer.max-queued-calls"
            + " (PIN_SCORER_MAX_QUEUED_CALLS)"), refused.getStatus().getDescription());
    assertEquals(ServingStatus.SERVING, health(""));
    assertEquals(ServingStatus.SERVING, health("pin.v1.Scorer"));
    assertFalse(running.isDone(), "the refusal came while the handler was still busy");

    // The admitted calls finish, and once the queue drains calls are accepted again.
    running.get(10, TimeUnit.SECONDS);
    queued.get(10, TimeUnit.SECONDS);
    assertEquals(1, call("fine").getResultsCount());
    assertEquals(3, handlerCalls.get(), "the refused call never reached the handler");
    assertEquals(1.0, host.registry().get("grpc.server.processing.duration")
        .tag("statusCode", "RESOURCE_EXHAUSTED").timer().count(), "metrics count the refusal");
  }

  /** Issue #17: any client could call any RPC; one setting turns bearer tokens on. */
  @Test
  void withAnAuthTokenTheApiNeedsItAndHealthStaysOpen() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ServerSettings locked = ServerSettings.read(Config.of(Map.of("scorer.port", "0",
        "scorer.metrics-port", "-1", "scorer.auth-token", "s3cret")), "scorer");
    assertFalse(locked.toString().contains("s3cret"), "settings never print the token");
    host = new ServiceHost(module(locked), Metrics.newRegistry("scorer"),
        List.of(InProcessServerBuilder.forName(name)));
    host.start();
    channel = InProcessChannelBuilder.forName(name).build();
    modelsLoaded.countDown();
    Await.until("SERVING", Duration.ofSeconds(10), () -> health("") == ServingStatus.SERVING);
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> call("fine"));
    assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
    assertTrue(none.getStatus().getDescription().contains("PIN_AUTH_TOKEN"), none.toString());
    NaturalnessRequest fine = NaturalnessRequest.newBuilder()
        .addPrompts(Prompt.newBuilder().setText("fine")).build();
    StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> ScorerGrpc
        .newBlockingStub(channel).withInterceptors(
            dev.pin.kit.grpc.BearerToken.send("guess")).naturalness(fine));
    assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    assertEquals(1, ScorerGrpc.newBlockingStub(channel).withInterceptors(
        dev.pin.kit.grpc.BearerToken.send("s3cret")).naturalness(fine).getResultsCount());
    ManagedChannel peer = Channels.open(ClientSettings.read(Config.of(Map.of(
        "test.scorer.address", Channels.IN_PROCESS + name, "test.scorer.auth-token", "s3cret")),
        "test", "scorer"), Metrics.newRegistry("test-client"));
    try {
      assertEquals(1, ScorerGrpc.newBlockingStub(peer).naturalness(fine).getResultsCount(),
          "peer channels send the configured token");
    } finally {
      peer.shutdownNow();
    }
  }

  @Test
  void tcpServersPermitThePeerChannelsKeepalivePings() throws Exception {
    // A server that permits pings less often than Channels sends them answers a few of them with
    // GOAWAY too_many_pings, failing every call on the connection once a call outlives them (a
    // run's policy stream did, in the compose deployment). grpc-java keeps the setting in a
    // private field of the builder; reading it checks that tcp() really sets it.
    var field = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.class
        .getDeclaredField("permitKeepAliveTimeInNanos");
    field.setAccessible(true);
    long permitted = field.getLong(ServiceLauncher.tcp("127.0.0.1", 0));
    assertEquals(ServiceLauncher.PERMIT_KEEPALIVE_TIME.toNanos(), permitted);
    assertTrue(permitted < Channels.KEEPALIVE_TIME.toNanos(),
        "servers permit pings every " + Duration.ofNanos(permitted) + ", channels send them every "
            + Channels.KEEPALIVE_TIME);
  }

  @Test
  void healthIsNotServingUntilModelsAreLoaded() throws Exception {
    startInProcess("5s");
    assertEquals(ServingStatus.NOT_SERVING, health(""));
    assertEquals(ServingStatus.NOT_SERVING, health("pin.v1.Scorer"));
    modelsLoaded.countDown();
    assertTrue(host.awaitReady(10, TimeUnit.SECONDS));
    assertEquals(ServingStatus.SERVING, health(""));
    assertEquals(ServingStatus.SERVING, health("pin.v1.Scorer"));
  }

  @Test
  void reflectionListsTheServiceHealthAndReflection() throws Exception {
    startInProcess("5s");
    List<String> services = Reflection.listServices(channel);
    assertTrue(services.containsAll(List.of("pin.v1.Scorer", "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")),
        services.toString());
  }

  @Test
  void escapingExceptionsBecomeStatusesWithMessages() throws Exception {
    startInProcess("5s");
    StatusRuntimeException bug = assertThrows(StatusRuntimeException.class, () -> call("bug"));
    assertEquals(Status.Code.INTERNAL, bug.getStatus().getCode());
    assertTrue(bug.getStatus().getDescription().contains("the model exploded"));
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> call("bad"));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    assertEquals("prompts[0]: bad", bad.getStatus().getDescription());
  }

  @Test
  void metricsEndpointServesGrpcServerMetricsWithStatusCodes() throws Exception {
    startInProcess("5s");
    call("fine");
    assertThrows(StatusRuntimeException.class, () -> call("bad"));
    String text = Http.get(host.metricsPort(), "/metrics").body();
    assertTrue(text.contains("grpc_server_processing_duration_seconds_count{component=\"scorer\","
        + "method=\"Naturalness\",methodType=\"UNARY\",service=\"pin.v1.Scorer\","
        + "statusCode=\"OK\"} 1"), text);
    assertTrue(text.contains("statusCode=\"INVALID_ARGUMENT\"} 1"), text);
    assertTrue(text.contains("grpc_server_processing_duration_seconds_bucket"), "histogram");
    assertTrue(text.contains("jvm_memory_used_bytes"), "JVM metrics");
    assertTrue(text.contains("process_cpu_usage"), "process metrics");
    assertEquals(404, Http.get(host.metricsPort(), "/").statusCode());
  }

  @Test
  void shutdownDrainsInFlightCallsWithinTheGracePeriod() throws Exception {
    startInProcess("10s");
    modelsLoaded.countDown();
    CompletableFuture<NaturalnessResponse> inFlight =
        CompletableFuture.supplyAsync(() -> call("slow700"));
    Await.until("the call to be in flight", Duration.ofSeconds(5), () -> host.registry()
        .find("grpc.server.requests.received").counters().stream()
        .anyMatch(c -> c.count() > 0));
    host.close();
    assertEquals("slow700", inFlight.get(10, TimeUnit.SECONDS).getResults(0).getPrompt().getText());
  }

  @Test
  void shutdownCancelsCallsThatOutliveTheGracePeriod() throws Exception {
    startInProcess("200ms");
    CompletableFuture<NaturalnessResponse> inFlight =
        CompletableFuture.supplyAsync(() -> call("slow3000"));
    Await.until("the call to be in flight", Duration.ofSeconds(5), () -> host.registry()
        .find("grpc.server.requests.received").counters().stream()
        .anyMatch(c -> c.count() > 0));
    long start = System.nanoTime();
    host.close();
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "did not wait 3 s");
    Exception e = assertThrows(Exception.class, () -> inFlight.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof StatusRuntimeException, e.toString());
  }

  @Test
  void tcpTransportAndClientDeadlines() throws Exception {
    ServerSettings settings = settings("5s");
    host = new ServiceHost(module(settings), Metrics.newRegistry("scorer"),
        List.of(ServiceLauncher.tcp("127.0.0.1", 0)));
    host.start();
    modelsLoaded.countDown();
    PrometheusMeterRegistry clientMetrics = Metrics.newRegistry("test-client");
    ClientSettings client = ClientSettings.read(Config.of(Map.of(
        "test.scorer.address", "localhost:" + host.port(),
        "test.scorer.deadline", "1500ms")), "test", "scorer");
    ManagedChannel tcp = Channels.open(client, clientMetrics);
    try {
      ScorerGrpc.ScorerBlockingStub stub = ScorerGrpc.newBlockingStub(tcp);
      NaturalnessRequest quick = NaturalnessRequest.newBuilder()
          .addPrompts(Prompt.newBuilder().setText("fine")).build();
      // The first call connects (and loads Netty's classes, slow on a busy machine): it gets
      // time of its own, so only the slow call below meets the configured 1.5 s.
      assertEquals(1, stub.withDeadlineAfter(30, TimeUnit.SECONDS).naturalness(quick)
          .getResultsCount());
      assertEquals(1, stub.naturalness(quick).getResultsCount());
      StatusRuntimeException late = assertThrows(StatusRuntimeException.class,
          () -> stub.naturalness(NaturalnessRequest.newBuilder()
              .addPrompts(Prompt.newBuilder().setText("slow4000")).build()));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, late.getStatus().getCode(),
          "the configured deadline applies to calls that set none");
      assertEquals(ServingStatus.SERVING,
          dev.pin.kit.client.HealthProbe.check("localhost:" + host.port(), "pin.v1.Scorer"));
      assertEquals(ServingStatus.UNKNOWN,
          dev.pin.kit.client.HealthProbe.check("localhost:" + host.port(), "pin.v1.Nope"));
      assertFalse(clientMetrics.scrape().isEmpty());
      assertTrue(clientMetrics.scrape().contains("grpc_client_processing_duration_seconds"));
    } finally {
      Channels.close(tcp);
    }
  }

  @Test
  void anErrorThatEchoesAMegabyteOfInputIsCutAndTheConnectionKeepsWorking() throws Exception {
    host = new ServiceHost(module(settings("5s")), Metrics.newRegistry("scorer"),
        List.of(ServiceLauncher.tcp("127.0.0.1", 0)));
    host.start();
    modelsLoaded.countDown();
    ManagedChannel tcp = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", host.port())
        .usePlaintext().build();
    try {
      ScorerGrpc.ScorerBlockingStub stub = ScorerGrpc.newBlockingStub(tcp)
          .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS);
      String huge = "echo" + "x".repeat(1 << 20) + "\u00e9".repeat(1000);
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> stub.naturalness(NaturalnessRequest.newBuilder()
              .addPrompts(Prompt.newBuilder().setText(huge)).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      String d = e.getStatus().getDescription();
      assertTrue(d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
          <= dev.pin.kit.grpc.ExceptionStatusInterceptor.MAX_DESCRIPTION,
          "description of " + d.length() + " characters");
      assertTrue(d.startsWith("prompts[0]: not allowed: echoxxx") && d.endsWith("more characters)"),
          d.substring(0, 60) + "…" + d.substring(d.length() - 40));
      // The same connection still answers.
      assertEquals(1, stub.naturalness(NaturalnessRequest.newBuilder()
          .addPrompts(Prompt.newBuilder().setText("fine")).build()).getResultsCount());
    } finally {
      tcp.shutdownNow();
    }
  }
}
