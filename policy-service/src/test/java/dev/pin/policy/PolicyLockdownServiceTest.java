package dev.pin.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.grpc.BearerToken;
import dev.pin.kit.grpc.Identity;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.kit.testing.Await;
import dev.pin.models.testing.TinyModels;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.CreatePolicyRequest;
import dev.pin.v1.DropPolicyRequest;
import dev.pin.v1.GetPolicyRequest;
import dev.pin.v1.LoadCheckpointRequest;
import dev.pin.v1.ModelRef;
import dev.pin.v1.PolicyConfig;
import dev.pin.v1.PolicyGrpc;
import dev.pin.v1.SampleRequest;
import dev.pin.v1.SaveCheckpointRequest;
import dev.pin.v1.SoftQLearningConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17: anonymous policies (CreatePolicy with no run behind it) filled the policy service and
 * every new run failed; any client could drop another's policy or load another run's checkpoint
 * into its own id, and LoadCheckpoint read any {@code file:} URI.
 */
class PolicyLockdownServiceTest {
  private static final String ENSEMBLE = "ensemble-token-0123456789";
  private static final String ALICE = "alice-token-0123456789abcdef";
  private static final String BOB = "bob-token-0123456789abcdef";
  private static final String OPS = "ops-token-0123456789abcdef";
  @TempDir Path home;
  private ServiceHost host;
  private ManagedChannel channel;

  private void start(Map<String, String> extra) throws Exception {
    TinyModels.bertMlm(home.resolve("models").resolve("tiny-bert"), 7);
    Map<String, String> settings = new HashMap<>(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "policy.max-policies", "3",
        "policy.metrics-port", "-1"));
    settings.putAll(extra);
    PolicySettings policy = PolicySettings.read(Config.of(settings));
    String name = InProcessServerBuilder.generateName();
    var registry = Metrics.newRegistry("policy");
    host = new ServiceHost(new PolicyServer(policy, registry), registry,
        List.of(InProcessServerBuilder.forName(name)));
    host.start();
    assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    host.close();
  }

  private PolicyGrpc.PolicyBlockingStub as(String token) {
    PolicyGrpc.PolicyBlockingStub stub =
        PolicyGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    return token == null ? stub : stub.withInterceptors(BearerToken.send(token));
  }

  private static PolicyConfig config() {
    return PolicyConfig.newBuilder().setBackbone(ModelRef.newBuilder().setName("tiny-bert"))
        .setMlpHiddenSize(16).setSeed(1).setSoftQ(SoftQLearningConfig.getDefaultInstance())
        .build();
  }

  private static CreatePolicyRequest create(String id) {
    return CreatePolicyRequest.newBuilder().setRunId(id).setConfig(config()).build();
  }

  private static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  @Test
  void anonymousPoliciesAreBoundedAndNeverStarveRuns() throws Exception {
    start(Map.of("policy.max-anonymous-policies", "2"));
    PolicyGrpc.PolicyBlockingStub anyone = as(null);
    PolicyGrpc.PolicyBlockingStub orchestrator = anyone.withInterceptors(
        Identity.actingForRunOf(""));
    anyone.createPolicy(create("a1"));
    anyone.createPolicy(create("a2"));
    // A third anonymous one makes room by evicting the least recently used anonymous one.
    anyone.getPolicy(GetPolicyRequest.newBuilder().setRunId("a1").build());
    anyone.createPolicy(create("a3"));
    StatusRuntimeException gone = fails(Status.Code.NOT_FOUND,
        () -> anyone.getPolicy(GetPolicyRequest.newBuilder().setRunId("a2").build()));
    assertTrue(gone.getStatus().getDescription().contains("evicted")
        && gone.getStatus().getDescription().contains("policy.max-anonymous-policies"),
        gone.getStatus().getDescription());
    // The service is full (a1, a3 and a run's): runs still get in, evicting anonymous ones.
    orchestrator.createPolicy(create("run-1"));
    orchestrator.createPolicy(create("run-2"));
    orchestrator.createPolicy(create("run-3"));
    assertEquals(3, host.registry().get("pin.train.policies").gauge().value());
    assertEquals(0, host.registry().get("pin.train.policies.anonymous").gauge().value());
    // Full of runs: nothing is evicted, both kinds are refused naming the limit.
    StatusRuntimeException full = fails(Status.Code.RESOURCE_EXHAUSTED,
        () -> orchestrator.createPolicy(create("run-4")));
    assertTrue(full.getStatus().getDescription().contains("policy.max-policies"));
    fails(Status.Code.RESOURCE_EXHAUSTED, () -> anyone.createPolicy(create("a4")));
    for (String run : List.of("run-1", "run-2", "run-3")) {
      assertEquals(run, anyone.getPolicy(GetPolicyRequest.newBuilder().setRunId(run).build())
          .getRunId());
    }
  }

  @Test
  void anIdleAnonymousPolicyIsDropped() throws Exception {
    start(Map.of("policy.anonymous-idle-ttl", "1s"));
    PolicyGrpc.PolicyBlockingStub anyone = as(null);
    anyone.createPolicy(create("idle"));
    anyone.withInterceptors(Identity.actingForRunOf("")).createPolicy(create("run-1"));
    Await.until("the idle anonymous policy to be dropped", Duration.ofSeconds(20), () -> {
      try {
        anyone.withDeadlineAfter(1, TimeUnit.SECONDS).getPolicy(GetPolicyRequest.newBuilder()
            .setRunId("idle-probe").build());
      } catch (StatusRuntimeException e) {
        // the probe's own NOT_FOUND; each call looks for idle policies first
      }
      return host.registry().get("pin.train.policies.anonymous").gauge().value() == 0;
    });
    StatusRuntimeException gone = fails(Status.Code.NOT_FOUND,
        () -> anyone.getPolicy(GetPolicyRequest.newBuilder().setRunId("idle").build()));
    assertTrue(gone.getStatus().getDescription().contains("policy.anonymous-idle-ttl"));
    assertEquals("run-1", anyone.getPolicy(GetPolicyRequest.newBuilder().setRunId("run-1")
        .build()).getRunId(), "a run's policy is never dropped for idling");
  }

  @Test
  void onlyThePolicysOwnerOrAnAdminMayActOnItAndItsCheckpoints() throws Exception {
    Path tokens = home.resolve("tokens");
    Files.writeString(tokens, "alice " + ALICE + "\nbob " + BOB + "\nops " + OPS + " admin\n");
    start(Map.of("auth.tokens-file", tokens.toString(), "policy.auth-token", ENSEMBLE));
    PolicyGrpc.PolicyBlockingStub alice = as(ALICE);
    PolicyGrpc.PolicyBlockingStub bob = as(BOB);
    PolicyGrpc.PolicyBlockingStub ops = as(OPS);
    fails(Status.Code.UNAUTHENTICATED, () -> as(null).createPolicy(create("x")));

    // The orchestrator creates alice's run's policy: hers, and a run's.
    as(ENSEMBLE).withInterceptors(Identity.actingForRunOf("alice"))
        .createPolicy(create("run-a1"));
    alice.sample(SampleRequest.newBuilder().setRunId("run-a1").setBatchSize(2).build());
    for (Runnable denied : List.<Runnable>of(
        () -> bob.sample(SampleRequest.newBuilder().setRunId("run-a1").setBatchSize(2)
            .build()),
        () -> bob.getPolicy(GetPolicyRequest.newBuilder().setRunId("run-a1").build()),
        () -> bob.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-a1").build()),
        () -> bob.saveCheckpoint(SaveCheckpointRequest.newBuilder().setRunId("run-a1")
            .build()))) {
      StatusRuntimeException e = fails(Status.Code.PERMISSION_DENIED, denied);
      assertTrue(e.getStatus().getDescription().contains("belongs to another identity"));
      assertFalse(e.getStatus().getDescription().contains("alice"), "the owner stays unsaid");
    }
    // A header from a non-admin is ignored: bob's policy stays his (and anonymous).
    bob.withInterceptors(Identity.actingForRunOf("alice")).createPolicy(create("bobs"));
    fails(Status.Code.PERMISSION_DENIED,
        () -> alice.getPolicy(GetPolicyRequest.newBuilder().setRunId("bobs").build()));

    CheckpointRef ref = alice.saveCheckpoint(SaveCheckpointRequest.newBuilder()
        .setRunId("run-a1").build());
    // Bob cannot load alice's checkpoint into his own id, nor over her policy.
    fails(Status.Code.PERMISSION_DENIED, () -> bob.loadCheckpoint(LoadCheckpointRequest
        .newBuilder().setRunId("bobs-copy").setCheckpoint(ref).setConfig(config()).build()));
    fails(Status.Code.PERMISSION_DENIED, () -> bob.loadCheckpoint(LoadCheckpointRequest
        .newBuilder().setRunId("run-a1").setCheckpoint(ref).setConfig(config()).build()));
    // Alice and an admin can.
    alice.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-a1").build());
    assertEquals("run-a1", alice.loadCheckpoint(LoadCheckpointRequest.newBuilder()
        .setRunId("run-a1").setCheckpoint(ref).setConfig(config()).build()).getRunId());
    assertTrue(ops.dropPolicy(DropPolicyRequest.newBuilder().setRunId("run-a1").build())
        .getDropped());
  }

  @Test
  void checkpointsLoadOnlyFromTheCheckpointFolderWhateverExistsOutside() throws Exception {
    start(Map.of());
    PolicyGrpc.PolicyBlockingStub anyone = as(null);
    Path outside = Files.createDirectories(home.resolve("elsewhere").resolve("step-000000001"));
    Files.writeString(outside.resolve("policy.bin"), "not a checkpoint");
    String existing = null;
    for (String uri : List.of(outside.toUri().toString(), home.resolve("nothing").toUri()
            .toString(), "file:///etc", home.resolve("checkpoints").resolve("..")
            .resolve("elsewhere").resolve("step-000000001").toUri().toString())) {
      StatusRuntimeException e = fails(Status.Code.PERMISSION_DENIED, () -> anyone
          .loadCheckpoint(LoadCheckpointRequest.newBuilder().setRunId("r").setConfig(config())
              .setCheckpoint(CheckpointRef.newBuilder().setUri(uri)).build()));
      String d = e.getStatus().getDescription();
      if (existing == null) {
        existing = d;
      }
      assertEquals(existing, d, "the same reply whether the path exists or not: " + uri);
      assertFalse(d.contains(home.toString()), "no server path in the reply: " + d);
    }
    // A symbolic link inside the folder that points outside is refused the same way.
    Path link = home.resolve("checkpoints").resolve("r").resolve("step-000000002");
    Files.createDirectories(link.getParent());
    Files.createSymbolicLink(link, outside);
    fails(Status.Code.PERMISSION_DENIED, () -> anyone.loadCheckpoint(LoadCheckpointRequest
        .newBuilder().setRunId("r").setConfig(config())
        .setCheckpoint(CheckpointRef.newBuilder().setUri(link.toUri().toString())).build()));
  }
}
