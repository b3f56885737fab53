package dev.pin.orchestrator;

import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.RunEvent;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One WatchRun subscriber: the run's history first (replayed = true), then its live events, in
 * sequence order without gaps or repeats, until the run ends or the caller goes away. Live events
 * arrive on the writers' threads; sending is serialised here and never blocks them.
 *
 * <p>It sends only while the caller takes them ({@link ServerCallStreamObserver#isReady}): a
 * caller that stops reading holds at most gRPC's small send buffer on the server, not the run's
 * whole history and every event since (each event is in the run store anyway). Once the caller
 * reads again, the watcher goes on from the store where it stopped.
 */
final class RunWatcher {
  private static final int PAGE = 500;

  private final String runId;
  private final RunStore store;
  private final ServerCallStreamObserver<RunEvent> out;
  /** An event as the caller gets it (without server paths). */
  private final UnaryOperator<RunEvent> reply;
  /** Called once when the watcher ends, whatever ends it. */
  private final Runnable onClosed;
  private long lastSent;
  /** Events up to this sequence were history when the caller subscribed (sent as replayed). */
  private long historyEnd;
  /** Events were left unsent because the caller was not reading; the store has them. */
  private boolean behind;
  private boolean done;
  private boolean closed;
  private AutoCloseable subscription;

  RunWatcher(String runId, long fromSequence, RunStore store, UnaryOperator<RunEvent> reply,
      ServerCallStreamObserver<RunEvent> out, Runnable onClosed) {
    this.runId = runId;
    this.store = store;
    this.reply = reply;
    this.out = out;
    this.onClosed = onClosed;
    this.lastSent = Math.max(0, fromSequence - 1);
  }

  /** Subscribes, replays history, and completes at once if the run has already ended. */
  synchronized void start() {
    try {
      subscription = store.addListener((id, events) -> {
        if (id.equals(runId)) {
          deliver(events);
        }
      });
      out.setOnCancelHandler(this::close);
      out.setOnReadyHandler(this::onReady);
      historyEnd = store.lastSequence(runId);
      catchUp();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private synchronized void deliver(List<RunEvent> events) {
    if (done || behind) {
      return; // behind: the caller's next onReady reads these from the store
    }
    for (RunEvent e : events) {
      if (done) {
        return;
      }
      if (e.getSequence() <= lastSent) {
        continue;
      }
      if (e.getSequence() > lastSent + 1 || !out.isReady()) {
        // A gap (writers race on threads) or a caller not reading: from the store instead.
        catchUp();
        return;
      }
      send(e);
    }
  }

  private synchronized void onReady() {
    if (behind && !done) {
      catchUp();
    }
  }

  /**
   * Sends the stored events after the last one sent while the caller takes them; when it stops
   * taking them, marks this watcher behind for its next onReady. Caught up, a run that has ended
   * ends the stream (its history may hold an end that a resume followed; only the last counts).
   */
  private void catchUp() {
    behind = false;
    while (!done) {
      if (!out.isReady()) {
        behind = true;
        return;
      }
      List<RunEvent> page = store.readEvents(runId, lastSent + 1, PAGE);
      for (RunEvent e : page) {
        if (done) {
          return;
        }
        if (!out.isReady()) {
          behind = true;
          return;
        }
        send(e);
      }
      if (page.size() < PAGE) {
        break;
      }
    }
    if (done) {
      return;
    }
    boolean ended = store.getRun(runId).map(r -> RunManager.TERMINAL.contains(r.getState()))
        .orElse(true);
    if (ended && store.lastSequence(runId) <= lastSent) {
      finish();
    }
  }

  private void send(RunEvent e) {
    if (done || out.isCancelled()) {
      return;
    }
    boolean replayed = e.getSequence() <= historyEnd;
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
    if (!closed) {
      closed = true;
      onClosed.run();
    }
  }
}
