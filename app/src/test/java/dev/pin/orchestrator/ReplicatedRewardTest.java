package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.loop.Peers;
import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.StartRunRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A run whose Reward calls rotate over several reward replicas (what round-robin over DNS does in
 * a deployment): the task is registered on one replica only, and calls that land on the others
 * must re-register it and go on, never roll the run back.
 */
class ReplicatedRewardTest {
  @TempDir Path home;
  private final List<EmbeddedEnsemble> ensembles = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Server server;
  private RunManager runs;
  private JdbcRunStore store;

  /** Strict per-call rotation over the replicas' channels, as gRPC's round_robin picks. */
  private static final class RotatingChannel extends Channel {
    private final List<? extends Channel> replicas;
    private final AtomicInteger next = new AtomicInteger();

    RotatingChannel(List<? extends Channel> replicas) {
      this.replicas = replicas;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
      return replicas.get(Math.floorMod(next.getAndIncrement(), replicas.size()))
          .newCall(method, options);
    }

    @Override
    public String authority() {
      return replicas.get(0).authority();
    }
  }

  private EmbeddedEnsemble ensemble() throws Exception {
    EmbeddedEnsemble e = EmbeddedEnsemble.create(Config.of(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("unused-" + ensembles.size()
            + ".db"),
        "orchestrator.data-dir", home.toString(),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1")),
        "replicas-" + UUID.randomUUID(), false);
    ensembles.add(e);
    e.start();
    assertTrue(e.awaitReady(30, TimeUnit.SECONDS));
    return e;
  }

  private ManagedChannel channel(String inProcessName) {
    ManagedChannel c = InProcessChannelBuilder.forName(inProcessName).build();
    channels.add(c);
    return c;
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.shutdownNow();
    }
    if (runs != null) {
      runs.close();
    }
    channels.forEach(ManagedChannel::shutdownNow);
    ensembles.forEach(EmbeddedEnsemble::close);
    if (store != null) {
      store.close();
    }
  }

  @ParameterizedTest(name = "{0} reward replicas")
  @ValueSource(ints = {1, 2, 3})
  void aRunCompletesWithoutRollbackWhenItsRewardCallsRotateOverReplicas(int replicas)
      throws Exception {
    TinyRuns.write(home);
    // Each ensemble holds one reward service over the same model store: the replicas.
    List<EmbeddedEnsemble> pool = new ArrayList<>();
    for (int i = 0; i < replicas; i++) {
      pool.add(ensemble());
    }
    List<ManagedChannel> rewardReplicas = new ArrayList<>();
    for (EmbeddedEnsemble e : pool) {
      rewardReplicas.add(channel(e.inProcessName("reward")));
    }
    Peers peers = Peers.over(channel(pool.get(0).inProcessName("policy")),
        new RotatingChannel(rewardReplicas), channel(pool.get(0).inProcessName("scorer")));
    store = JdbcRunStore.openSqlite(home.resolve("runs.db"));
    ModelStore models = new ModelStore(home.resolve("models"));
    runs = new RunManager(store, peers, home, models, Duration.ofSeconds(20), 2);
    String name = "orchestrator-" + UUID.randomUUID();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new OrchestratorService(store, runs, peers, home, models)).build().start();
    OrchestratorGrpc.OrchestratorBlockingStub orchestrator =
        OrchestratorGrpc.newBlockingStub(channel(name));

    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_PIN, 8)).build());
    assertTrue(runs.await(started.getId(), Duration.ofSeconds(120)));
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(started.getId()).build());
    assertEquals(RunState.RUN_STATE_COMPLETED, done.getState(), done.toString());
    assertEquals(8, done.getStep());
    // No recovery: a rollback or restart would leave its message in the event log.
    assertTrue(store.readEvents(started.getId(), 0, 100_000).stream()
        .noneMatch(e -> e.getMessage().contains("recovered from")), "no rollback");
  }
}
