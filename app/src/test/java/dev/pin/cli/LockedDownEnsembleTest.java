package dev.pin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.kit.testing.Await;
import dev.pin.kit.testing.TestCertificates;
import dev.pin.orchestrator.TinyRuns;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.ClassificationTask;
import dev.pin.v1.DataSource;
import dev.pin.v1.EvaluatePromptRequest;
import dev.pin.v1.FewShotData;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.ListRunsRequest;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.Method;
import dev.pin.v1.ModelRef;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.ResumeRunRequest;
import dev.pin.v1.Run;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskSpec;
import dev.pin.v1.WatchRunRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17 item 6 on the whole ensemble (the production wiring of {@code pin up} over TCP):
 * mutual TLS on every port, bearer tokens with identities, runs, policies and checkpoints that
 * belong to their creator, and spec data read only inside {@code orchestrator.data-roots}. The
 * clients are the pin command's own channels ({@link ServiceAddress}), configured by {@code
 * PIN_TOKEN} and {@code PIN_TLS_*}.
 */
class LockedDownEnsembleTest {
  private static final String ALICE = "alice-token-0123456789abcdef";
  private static final String BOB = "bob-token-0123456789abcdef";
  private static final String OPS = "ops-token-0123456789abcdef";
  @TempDir static Path home;
  private static EmbeddedEnsemble ensemble;
  private static TestCertificates ca;
  private static TestCertificates.Leaf client;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startLockedDown() throws Exception {
    TinyRuns.write(home);
    ca = new TestCertificates(Files.createDirectories(home.resolve("certs")));
    TestCertificates.Leaf server = ca.issue("server");
    client = ca.issue("client");
    Path tokens = home.resolve("tokens");
    Files.writeString(tokens, "# identity token [admin]\nalice " + ALICE + "\nbob " + BOB
        + "\nops " + OPS + " admin\n");
    Map<String, String> settings = new HashMap<>();
    settings.putAll(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("runs.db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.data-roots", home.resolve("data").toString(),
        "auth.tokens-file", tokens.toString()));
    settings.putAll(Map.of(
        "tls.cert", server.cert().toString(), "tls.key", server.key().toString(),
        "tls.ca", ca.ca().toString(), "tls.client-auth", "require"));
    for (String service : EmbeddedEnsemble.SERVICES) {
      settings.put(service + ".port", "0");
      settings.put(service + ".metrics-port", "-1");
    }
    ensemble = EmbeddedEnsemble.create(Config.of(settings), "locked-" + UUID.randomUUID(), true);
    ensemble.start();
    assertTrue(ensemble.awaitReady(60, TimeUnit.SECONDS));
  }

  @AfterAll
  static void stop() {
    if (ensemble != null) {
      ensemble.close();
    }
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  /** The pin command's environment for a user: address, token, CA and client certificate. */
  private static Map<String, String> env(String token) {
    Map<String, String> env = new HashMap<>(Map.of(
        "PIN_ADDRESS", "localhost:" + ensemble.host("orchestrator").port(),
        "PIN_TLS_CA", ca.ca().toString(),
        "PIN_TLS_CERT", client.cert().toString(), "PIN_TLS_KEY", client.key().toString()));
    if (token != null) {
      env.put("PIN_TOKEN", token);
    }
    return env;
  }

  private ManagedChannel channel(String service, Map<String, String> env) {
    String address = "localhost:" + ensemble.host(service).port();
    ManagedChannel c = ServiceAddress.resolve(service, address, "--address", "PIN_ADDRESS",
        address, env).open();
    channels.add(c);
    return c;
  }

  private OrchestratorGrpc.OrchestratorBlockingStub orchestrator(String token) {
    return OrchestratorGrpc.newBlockingStub(channel("orchestrator", env(token)))
        .withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  @Test
  void runsPoliciesAndCheckpointsBelongToTheirCreator() throws Exception {
    OrchestratorGrpc.OrchestratorBlockingStub alice = orchestrator(ALICE);
    OrchestratorGrpc.OrchestratorBlockingStub bob = orchestrator(BOB);
    OrchestratorGrpc.OrchestratorBlockingStub ops = orchestrator(OPS);
    Run started = alice.startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_RLPROMPT, 4)).build());
    assertEquals("alice", started.getOwner());
    String id = started.getId();
    Await.until("alice's run to complete", Duration.ofSeconds(120), () -> alice.getRun(
        GetRunRequest.newBuilder().setRunId(id).build()).getState()
        == RunState.RUN_STATE_COMPLETED);

    for (Runnable denied : List.<Runnable>of(
        () -> bob.getRun(GetRunRequest.newBuilder().setRunId(id).build()),
        () -> bob.cancelRun(CancelRunRequest.newBuilder().setRunId(id).build()),
        () -> bob.resumeRun(ResumeRunRequest.newBuilder().setRunId(id).setExtraSteps(1).build()),
        () -> bob.watchRun(WatchRunRequest.newBuilder().setRunId(id).build()).hasNext(),
        () -> bob.registerRunTask(dev.pin.v1.RegisterRunTaskRequest.newBuilder().setRunId(id)
            .build()))) {
      StatusRuntimeException e = fails(Status.Code.PERMISSION_DENIED, denied);
      assertTrue(e.getStatus().getDescription().contains("belongs to another identity"));
    }
    assertFalse(alice.registerRunTask(dev.pin.v1.RegisterRunTaskRequest.newBuilder()
        .setRunId(id).build()).getTaskHandle().isEmpty(), "alice may register her run's task");
    assertTrue(ids(alice).contains(id));
    assertFalse(ids(bob).contains(id), "bob lists only his own runs");
    assertTrue(ids(ops).contains(id), "an admin lists everyone's");
    assertEquals(RunState.RUN_STATE_COMPLETED,
        ops.getRun(GetRunRequest.newBuilder().setRunId(id).build()).getState());

    // The pin command: PIN_TOKEN is who you are.
    assertTrue(CliRun.of(env(ALICE), "runs").out().contains(id));
    CliRun bobs = CliRun.of(env(BOB), "runs");
    assertEquals(0, bobs.exit(), bobs.err());
    assertFalse(bobs.out().contains(id));
    CliRun watch = CliRun.of(env(BOB), "watch", id);
    assertNotEquals(0, watch.exit());
    assertTrue(watch.err().contains("PERMISSION_DENIED"), watch.err());
    CliRun anonymous = CliRun.of(env(null), "runs");
    assertNotEquals(0, anonymous.exit());
    assertTrue(anonymous.err().contains("UNAUTHENTICATED")
        && anonymous.err().contains("PIN_TOKEN"), anonymous.err());

    // The run's checkpoint is alice's: the orchestrator created the policy on her behalf.
    Run done = alice.getRun(GetRunRequest.newBuilder().setRunId(id).build());
    assertTrue(done.hasCheckpoint(), done.toString());
    LoadCheckpointRequest load = LoadCheckpointRequest.newBuilder().setRunId("copy-of-" + id)
        .setCheckpoint(done.getCheckpoint())
        .setConfig(dev.pin.orchestrator.spec.RunDefaults.policyConfig(done.getSpec())).build();
    PolicyGrpc.PolicyBlockingStub bobPolicy = PolicyGrpc.newBlockingStub(
        channel("policy", env(BOB))).withDeadlineAfter(60, TimeUnit.SECONDS);
    fails(Status.Code.PERMISSION_DENIED, () -> bobPolicy.loadCheckpoint(load));
    PolicyGrpc.PolicyBlockingStub alicePolicy = PolicyGrpc.newBlockingStub(
        channel("policy", env(ALICE))).withDeadlineAfter(60, TimeUnit.SECONDS);
    assertEquals(load.getRunId(), alicePolicy.loadCheckpoint(load).getRunId());
  }

  private static List<String> ids(OrchestratorGrpc.OrchestratorBlockingStub stub) {
    return stub.listRuns(ListRunsRequest.newBuilder().setPageSize(1000).build()).getRunsList()
        .stream().map(Run::getId).toList();
  }

  @Test
  void everyPortNeedsTlsWithAClientCertificateAndAToken() {
    Map<String, String> noCertificate = env(ALICE);
    noCertificate.remove("PIN_TLS_CERT");
    noCertificate.remove("PIN_TLS_KEY");
    Map<String, String> plaintext = new HashMap<>(noCertificate);
    plaintext.remove("PIN_TLS_CA");
    for (String service : EmbeddedEnsemble.SERVICES) {
      for (Map<String, String> env : List.of(noCertificate, plaintext)) {
        fails(Status.Code.UNAVAILABLE, () -> io.grpc.health.v1.HealthGrpc.newBlockingStub(
            channel(service, env)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()));
      }
    }
    StatusRuntimeException e = fails(Status.Code.UNAUTHENTICATED, () -> orchestrator(null)
        .listRuns(ListRunsRequest.getDefaultInstance()));
    assertTrue(e.getStatus().getDescription().contains("PIN_TOKEN"));
    fails(Status.Code.UNAUTHENTICATED, () -> orchestrator("not-a-token-of-anyone-here")
        .listRuns(ListRunsRequest.getDefaultInstance()));
  }

  @Test
  void specDataOutsideTheDataRootsIsRefusedWithoutSayingWhatIsThere() throws Exception {
    OrchestratorGrpc.OrchestratorBlockingStub alice = orchestrator(ALICE);
    Path outside = Files.createDirectories(home.resolve("outside"));
    TinyRuns.writeData(outside);
    Files.createSymbolicLink(home.resolve("data").resolve("link"), outside);
    List<String> descriptions = new ArrayList<>();
    for (String dir : List.of("/etc", "outside", "../outside", "/no/such/folder",
        "data/../outside", "data/link", home.resolve("outside").toString())) {
      RunSpec spec = TinyRuns.spec(Method.METHOD_RLPROMPT, 4).toBuilder()
          .setTask(fewShot(dir)).build();
      // Replies name a path under the data folder (home here) relative to it, as a spec would.
      String named = dir.startsWith(home.toString()) ? home.relativize(Path.of(dir)).toString()
          : dir;
      StatusRuntimeException e = fails(Status.Code.PERMISSION_DENIED,
          () -> alice.startRun(StartRunRequest.newBuilder().setSpec(spec).build()));
      descriptions.add(e.getStatus().getDescription().replace("'" + named + "'", "DIR"));
      StatusRuntimeException eval = fails(Status.Code.PERMISSION_DENIED,
          () -> alice.evaluatePrompt(EvaluatePromptRequest.newBuilder().setTask(fewShot(dir))
              .setPromptText("it was").build()));
      descriptions.add(eval.getStatus().getDescription().replace("'" + named + "'", "DIR"));
    }
    for (String d : descriptions) {
      assertTrue(d.contains("orchestrator.data-roots"), d);
      assertFalse(d.contains(home.toString()), "no server path: " + d);
      assertEquals(descriptions.get(0).replace("spec.", ""), d.replace("spec.", ""),
          "the same answer whether the folder exists or not");
    }
    // Inside the roots a missing file is named as the spec spelled it, not by server path.
    StatusRuntimeException missing = fails(Status.Code.INVALID_ARGUMENT, () -> alice.startRun(
        StartRunRequest.newBuilder().setSpec(TinyRuns.spec(Method.METHOD_RLPROMPT, 4)
            .toBuilder().setTask(fewShot("data/nothing-here"))).build()));
    assertFalse(missing.getStatus().getDescription().contains(home.toString()),
        missing.getStatus().getDescription());
  }

  private static TaskSpec fewShot(String dir) {
    return TaskSpec.newBuilder().setClassification(ClassificationTask.newBuilder()
        .setTaskModel(ModelRef.newBuilder().setName("tiny-bert"))
        .addVerbalizers("terrible").addVerbalizers("great")
        .setData(DataSource.newBuilder().setFewShot(FewShotData.newBuilder().setDir(dir)
            .setSplitSeed(1)))).build();
  }
}
