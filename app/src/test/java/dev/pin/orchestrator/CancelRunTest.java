package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.app.EmbeddedEnsemble;
import dev.pin.kit.config.Config;
import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.loop.Peers;
import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.v1.CancelRunRequest;
import dev.pin.v1.DescribeTaskRequest;
import dev.pin.v1.EvaluateRequest;
import dev.pin.v1.EvaluateResponse;
import dev.pin.v1.GetRunRequest;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.RegisterTaskRequest;
import dev.pin.v1.RewardGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import dev.pin.v1.ScoreRequest;
import dev.pin.v1.ScoreResponse;
import dev.pin.v1.StartRunRequest;
import dev.pin.v1.TaskHandle;
import dev.pin.v1.TaskInfo;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CancelRun cuts the step in flight short (issue #17 item 2): the run's peer call is cancelled on
 * both sides at once and the run ends CANCELLED, not FAILED, instead of computing on until its
 * step ends. The reward service here answers Score only when its caller gives up, like a Score of
 * thousands of sequences on a busy CPU.
 */
class CancelRunTest {
  @TempDir Path home;
  private EmbeddedEnsemble ensemble;
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private RunManager runs;
  private JdbcRunStore store;

  @AfterEach
  void tearDown() {
    if (runs != null) {
      runs.close();
    }
    servers.forEach(Server::shutdownNow);
    channels.forEach(ManagedChannel::shutdownNow);
    if (ensemble != null) {
      ensemble.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private ManagedChannel channel(String name) {
    ManagedChannel c = InProcessChannelBuilder.forName(name).build();
    channels.add(c);
    return c;
  }

  /** The real reward service, except that Score waits until its caller cancels it. */
  private static final class StallingReward extends RewardGrpc.RewardImplBase {
    private final RewardGrpc.RewardBlockingStub real;
    final CountDownLatch scoring = new CountDownLatch(1);
    final CountDownLatch callerGaveUp = new CountDownLatch(1);

    StallingReward(RewardGrpc.RewardBlockingStub real) {
      this.real = real;
    }

    @Override
    public void registerTask(RegisterTaskRequest r, StreamObserver<TaskHandle> out) {
      out.onNext(real.registerTask(r));
      out.onCompleted();
    }

    @Override
    public void describeTask(DescribeTaskRequest r, StreamObserver<TaskInfo> out) {
      out.onNext(real.describeTask(r));
      out.onCompleted();
    }

    @Override
    public void evaluate(EvaluateRequest r, StreamObserver<EvaluateResponse> out) {
      out.onNext(real.evaluate(r));
      out.onCompleted();
    }

    @Override
    public void score(ScoreRequest r, StreamObserver<ScoreResponse> out) {
      Context.current().addListener(c -> callerGaveUp.countDown(), Runnable::run);
      scoring.countDown();
      try {
        callerGaveUp.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      out.onError(io.grpc.Status.CANCELLED.asRuntimeException());
    }
  }

  @Test
  void cancelRunStopsTheStepInFlightAndEndsCancelled() throws Exception {
    TinyRuns.write(home);
    ensemble = EmbeddedEnsemble.create(Config.of(Map.of(
        "models.home", home.resolve("models").toString(),
        "policy.checkpoint-dir", home.resolve("checkpoints").toString(),
        "orchestrator.store-url", "jdbc:sqlite:" + home.resolve("ensemble.db"),
        "orchestrator.metrics-port", "-1", "policy.metrics-port", "-1",
        "reward.metrics-port", "-1", "scorer.metrics-port", "-1")),
        "cancel-" + UUID.randomUUID(), false);
    ensemble.start();
    assertTrue(ensemble.awaitReady(30, TimeUnit.SECONDS));
    StallingReward reward = new StallingReward(
        RewardGrpc.newBlockingStub(channel(ensemble.inProcessName("reward"))));
    String rewardName = "stalling-reward-" + UUID.randomUUID();
    servers.add(InProcessServerBuilder.forName(rewardName).addService(reward).build().start());
    Peers peers = Peers.over(channel(ensemble.inProcessName("policy")), channel(rewardName),
        channel(ensemble.inProcessName("scorer")));
    store = JdbcRunStore.openSqlite(home.resolve("runs.db"));
    ModelStore models = new ModelStore(home.resolve("models"));
    runs = new RunManager(store, peers, home, models, Duration.ofSeconds(20), 2);
    String name = "orchestrator-" + UUID.randomUUID();
    servers.add(InProcessServerBuilder.forName(name)
        .addService(new OrchestratorService(store, runs, peers, home, models)).build().start());
    OrchestratorGrpc.OrchestratorBlockingStub orchestrator =
        OrchestratorGrpc.newBlockingStub(channel(name)).withDeadlineAfter(60, TimeUnit.SECONDS);

    Run started = orchestrator.startRun(StartRunRequest.newBuilder()
        .setSpec(TinyRuns.spec(Method.METHOD_PIN, 50)).build());
    assertTrue(reward.scoring.await(60, TimeUnit.SECONDS), "the first step reached Score");
    orchestrator.cancelRun(CancelRunRequest.newBuilder().setRunId(started.getId()).build());

    assertTrue(reward.callerGaveUp.await(10, TimeUnit.SECONDS),
        "the reward service saw its Score cancelled");
    assertTrue(runs.await(started.getId(), Duration.ofSeconds(10)), "the loop ended");
    Run done = orchestrator.getRun(GetRunRequest.newBuilder().setRunId(started.getId()).build());
    assertEquals(RunState.RUN_STATE_CANCELLED, done.getState(), done.toString());
    assertEquals(0, done.getStep());
    assertTrue(store.readEvents(started.getId(), 0, 1000).stream().anyMatch(e ->
        e.getState().getReason().contains("cancelled by request at step 0")),
        "the event log says why");
  }
}
