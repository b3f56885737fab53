package dev.pin.orchestrator;

import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.RunEvent;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;

/**
 * One WatchRun subscriber: the run's history first (replayed = true), then its live events, in
 * sequence order without gaps or repeats, until the run ends or the caller goes away. Live events
 * arrive on the writers' threads; sending is serialised here and never blocks them.
 */
final class RunWatcher {
  private static final int PAGE = 500;

  private final String runId;
  private final RunStore store;
  private final ServerCallStreamObserver<RunEvent> out;
  /** An event as the caller gets it (without server paths). */
  private final java.util.function.UnaryOperator<RunEvent> reply;
  private long lastSent;
  private boolean done;
  private AutoCloseable subscription;

  RunWatcher(String runId, long fromSequence, RunStore store,
      java.util.function.UnaryOperator<RunEvent> reply, ServerCallStreamObserver<RunEvent> out) {
    this.runId = runId;
    this.reply = reply;
    this.store = store;
    this.out = out;
    this.lastSent = Math.max(0, fromSequence - 1);
  }

  /** Subscribes, replays history, and completes at once if the run has already ended. */
  synchronized void start() {
    subscription = store.addListener((id, events) -> {
      if (id.equals(runId)) {
        deliver(events);
      }
    });
    out.setOnCancelHandler(this::close);
    sendFrom(lastSent + 1, true);
    // Checked after subscribing and replaying, so an end in between is never missed.
    boolean ended = store.getRun(runId).map(r -> RunManager.TERMINAL.contains(r.getState()))
        .orElse(true);
    if (ended && !done) {
      finish();
    }
  }

  private synchronized void deliver(List<RunEvent> events) {
    for (RunEvent e : events) {
      if (done || e.getSequence() <= lastSent) {
        continue;
      }
      if (e.getSequence() > lastSent + 1) {
        sendFrom(lastSent + 1, false); // fill a gap from the store (writers race on threads)
        if (e.getSequence() <= lastSent) {
          continue;
        }
      }
      send(e, false);
    }
  }

  private void sendFrom(long from, boolean replayed) {
    while (!done) {
      List<RunEvent> page = store.readEvents(runId, from, PAGE);
      for (RunEvent e : page) {
        send(e, replayed);
      }
      if (page.size() < PAGE) {
        return;
      }
      from = lastSent + 1;
    }
  }

  private void send(RunEvent e, boolean replayed) {
    if (done || out.isCancelled()) {
      return;
    }
    out.onNext(reply.apply(e).toBuilder().setReplayed(replayed).build());
    lastSent = e.getSequence();
    // History may hold a FAILED that a resume followed; only a live end closes the stream.
    if (!replayed && e.hasState() && RunManager.TERMINAL.contains(e.getState().getTo())) {
      finish();
    }
  }

  private void finish() {
    done = true;
    out.onCompleted();
    close();
  }

  private synchronized void close() {
    done = true;
    if (subscription != null) {
      try {
        subscription.close();
      } catch (Exception ignored) {
        // Removing a listener cannot fail in a way the caller could act on.
      }
      subscription = null;
    }
  }
}
