package dev.pin.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.grpc.ExceptionStatusInterceptor;
import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.data.DataRoots;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.v1.Method;
import dev.pin.v1.OrchestratorGrpc;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.WatchRunRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17: what the orchestrator holds per WatchRun stream is bounded. A caller that stops
 * reading used to have the run's whole history and every live event queued for it on the server;
 * now the server sends only what the caller takes and goes on from the run store when it reads
 * again. And the streams themselves are bounded by {@code orchestrator.max-watchers}.
 */
class RunWatcherTest {
  private static final int HISTORY = 3000;

  @TempDir Path tmp;
  private JdbcRunStore store;
  private Server server;
  private ManagedChannel channel;
  /** Messages the server handed to the transport, over all WatchRun calls. */
  private final AtomicLong sent = new AtomicLong();

  @BeforeEach
  void start() throws Exception {
    store = JdbcRunStore.openSqlite(tmp.resolve("runs.db"));
    OrchestratorService service = new OrchestratorService(store, null, null,
        DataRoots.unrestricted(tmp), new ModelStore(tmp.resolve("models")), 2);
    ServerInterceptor counting = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendMessage(R message) {
            sent.incrementAndGet();
            super.sendMessage(message);
          }
        }, headers);
      }
    };
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(service, counting,
            new ExceptionStatusInterceptor())).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    store.close();
  }

  /** A WatchRun call whose caller asks for {@code initial} messages; more with request(n). */
  private final class Watch {
    final List<RunEvent> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    final ClientCall<WatchRunRequest, RunEvent> call =
        channel.newCall(OrchestratorGrpc.getWatchRunMethod(), CallOptions.DEFAULT);

    Watch(String runId, int initial) {
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(RunEvent message) {
          events.add(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      call.request(initial);
      call.sendMessage(WatchRunRequest.newBuilder().setRunId(runId).build());
      call.halfClose();
    }
  }

  private Run runWithHistory() {
    Run run = store.createRun(RunSpec.newBuilder().setName("long").setMethod(Method.METHOD_PIN)
        .build(), Map.of());
    for (int i = 0; i < HISTORY; i++) {
      store.appendEvent(run.getId(), RunEvent.newBuilder().setMessage("event " + i).build());
    }
    return run;
  }

  private static void await(String what, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
      Thread.sleep(20);
    }
  }

  @Test
  void aCallerThatDoesNotReadIsNotSentTheWholeHistory() throws Exception {
    Run run = runWithHistory();
    long total = store.lastSequence(run.getId());
    Watch slow = new Watch(run.getId(), 1);
    await("the first event", () -> slow.events.size() == 1);
    // Live events while the caller reads nothing: none of them queue up on the server either.
    for (int i = 0; i < 200; i++) {
      store.appendEvent(run.getId(), RunEvent.newBuilder().setMessage("live " + i).build());
    }
    Thread.sleep(500);
    assertTrue(sent.get() < 10, "sent " + sent.get() + " of " + (total + 200)
        + " events to a caller that asked for 1");
    assertEquals(1, slow.events.size());

    // Reading again, the caller gets everything, in order, history marked replayed.
    slow.call.request(Integer.MAX_VALUE);
    await("all events", () -> slow.events.size() == total + 200);
    for (int i = 0; i < slow.events.size(); i++) {
      RunEvent e = slow.events.get(i);
      assertEquals(i + 1, e.getSequence());
      assertEquals(e.getSequence() <= total, e.getReplayed(), e.toString());
    }
    store.appendEvent(run.getId(), RunEvent.newBuilder().setMessage("after").build());
    store.transition(run.getId(), RunState.RUN_STATE_CANCELLED, "cancelled by request");
    assertEquals(Status.Code.OK, slow.closed.get(30, TimeUnit.SECONDS).getCode());
    assertEquals(total + 202, slow.events.size(), "the live events and the end");
    assertEquals(RunState.RUN_STATE_CANCELLED,
        slow.events.get(slow.events.size() - 1).getState().getTo());
  }

  @Test
  void watchStreamsAreBoundedByMaxWatchers() throws Exception {
    Run run = runWithHistory();
    Watch first = new Watch(run.getId(), 1);
    Watch second = new Watch(run.getId(), 1);
    await("two streams", () -> first.events.size() == 1 && second.events.size() == 1);
    Watch third = new Watch(run.getId(), 1);
    Status refused = third.closed.get(30, TimeUnit.SECONDS);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode(), refused.toString());
    assertTrue(refused.getDescription().contains("orchestrator.max-watchers"),
        refused.getDescription());
    // A caller that goes away gives its slot back.
    first.call.cancel("done", null);
    await("the slot back", () -> {
      Watch again = new Watch(run.getId(), 1);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      boolean ok = !again.closed.isDone() && again.events.size() == 1;
      if (!ok) {
        again.call.cancel("retry", null);
      }
      return ok;
    });
    // A run that ended ends its streams, and their slots come back too.
    store.transition(run.getId(), RunState.RUN_STATE_CANCELLED, "cancelled by request");
    second.call.request(Integer.MAX_VALUE);
    assertEquals(Status.Code.OK, second.closed.get(30, TimeUnit.SECONDS).getCode());
  }
}
