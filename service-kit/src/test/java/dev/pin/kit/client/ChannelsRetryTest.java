package dev.pin.kit.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.v1.NaturalnessRequest;
import dev.pin.v1.NaturalnessResponse;
import dev.pin.v1.ScorerGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Peer channels try a refused call again (issue #17 item 8): a reward or scorer that answers
 * RESOURCE_EXHAUSTED while its queue is full, or UNAVAILABLE while it restarts, costs the caller
 * a back-off, not its run.
 */
class ChannelsRetryTest {
  private Server server;
  private ManagedChannel channel;

  /** Refuses the first {@code refusals} calls with {@code code}, then answers. */
  private static final class BusyScorer extends ScorerGrpc.ScorerImplBase {
    final AtomicInteger calls = new AtomicInteger();
    private final int refusals;
    private final Status.Code code;

    BusyScorer(int refusals, Status.Code code) {
      this.refusals = refusals;
      this.code = code;
    }

    @Override
    public void naturalness(NaturalnessRequest r, StreamObserver<NaturalnessResponse> out) {
      if (calls.incrementAndGet() <= refusals) {
        out.onError(Status.fromCode(code).withDescription("queue full").asRuntimeException());
        return;
      }
      out.onNext(NaturalnessResponse.getDefaultInstance());
      out.onCompleted();
    }
  }

  private ScorerGrpc.ScorerBlockingStub start(BusyScorer scorer) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(scorer).build().start();
    channel = Channels.open(ClientSettings.read(Config.of(Map.of(
        "test.scorer.address", Channels.IN_PROCESS + name)), "test", "scorer"),
        new SimpleMeterRegistry());
    return ScorerGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void tearDown() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  @Test
  void aFullQueueIsTriedAgainWithBackoff() throws Exception {
    BusyScorer scorer = new BusyScorer(2, Status.Code.RESOURCE_EXHAUSTED);
    start(scorer).naturalness(NaturalnessRequest.getDefaultInstance());
    assertEquals(3, scorer.calls.get(), "two refusals, then the answer");
  }

  @Test
  void aPeerThatStaysBusyFailsAfterFiveAttempts() throws Exception {
    BusyScorer scorer = new BusyScorer(100, Status.Code.UNAVAILABLE);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> start(scorer).naturalness(NaturalnessRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(5, scorer.calls.get());
  }

  @Test
  void otherFailuresAreNotRepeated() throws Exception {
    BusyScorer scorer = new BusyScorer(100, Status.Code.INVALID_ARGUMENT);
    assertThrows(StatusRuntimeException.class,
        () -> start(scorer).naturalness(NaturalnessRequest.getDefaultInstance()));
    assertEquals(1, scorer.calls.get());
  }
}
