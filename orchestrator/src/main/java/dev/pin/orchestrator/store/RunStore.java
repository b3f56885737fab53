package dev.pin.orchestrator.store;

import dev.pin.v1.CheckpointRef;
import dev.pin.v1.EvaluationResult;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import dev.pin.v1.RunSpec;
import dev.pin.v1.RunState;
import dev.pin.v1.StepMetrics;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The orchestrator's run history. Safe to use from many run threads at once: every method is one
 * database transaction, and each run's event log gets sequences 1, 2, 3, … without gaps or
 * duplicates even under concurrent appends. Methods that change a run and log an event do both in
 * the same transaction, so a WatchRun replay never sees one without the other.
 *
 * <p>Unknown run ids throw {@link UnknownRunException}; database failures throw {@link
 * StoreException}.
 */
public interface RunStore extends AutoCloseable {

  /**
   * Stores a new run in state PENDING with a fresh id ({@code run-YYYYMMDD-NNNN}, UTC day and a
   * per-day counter) and logs its first event (state UNSPECIFIED → PENDING).
   *
   * @param spec the effective spec (defaults filled)
   * @param provenance model names, precisions, code version
   */
  default Run createRun(RunSpec spec, Map<String, String> provenance) {
    return createRun(spec, provenance, "");
  }

  /**
   * {@link #createRun(RunSpec, Map)} for an owner: the identity that started the run ("" without
   * authentication), kept in {@code Run.owner} and in a column ListRuns can filter by.
   */
  Run createRun(RunSpec spec, Map<String, String> provenance, String owner);

  /** The run, or empty when there is none with this id. */
  Optional<Run> getRun(String runId);

  /**
   * Changes a run and appends events in one transaction. The mutation receives the stored run and
   * may change anything but the id and creation time; {@code updated} is set by the store. Events
   * get the next sequences of the run and the store's time when they have none.
   *
   * @return the stored run and the appended events
   */
  RunUpdate update(String runId, Consumer<Run.Builder> mutation, List<RunEvent> events);

  /** {@link #update} without events. */
  default Run updateRun(String runId, Consumer<Run.Builder> mutation) {
    return update(runId, mutation, List.of()).run();
  }

  /**
   * Moves a run to a new state and logs a {@code RunStateChange} from its current state; a FAILED
   * run also gets {@code reason} as its error.
   */
  RunUpdate transition(String runId, RunState to, String reason);

  /**
   * Appends one event to a run's log.
   *
   * @return the event as stored, with its sequence (and time, when it had none)
   */
  default RunEvent appendEvent(String runId, RunEvent event) {
    return update(runId, b -> {}, List.of(event)).events().get(0);
  }

  /**
   * A run's events from a sequence on, oldest first.
   *
   * @param fromSequence the first sequence to return (0 or 1 = from the start)
   * @param limit the most events to return
   */
  List<RunEvent> readEvents(String runId, long fromSequence, int limit);

  /** The sequence of the run's last event (0 when it has none). */
  long lastSequence(String runId);

  /**
   * Records a finished training step: stores its metrics (replacing a record of the same step, e.g.
   * after a resume), makes it the run's {@code latest} and {@code step} unless the run is already
   * further, and logs it as an event.
   *
   * @return the logged event
   */
  RunEvent recordStep(String runId, StepMetrics metrics);

  /**
   * A run's stored step metrics from a step on, in step order.
   *
   * @param fromStep first step to return
   * @param limit the most records to return
   */
  List<StepMetrics> readSteps(String runId, long fromStep, int limit);

  /**
   * Records an evaluation and logs it as an event.
   *
   * @return the logged event
   */
  RunEvent recordEvaluation(String runId, EvaluationResult evaluation);

  /** A run's evaluations in the order they were recorded. */
  List<EvaluationResult> readEvaluations(String runId);

  /**
   * Makes a checkpoint the run's latest and logs it as an event.
   *
   * @return the logged event
   */
  RunEvent recordCheckpoint(String runId, CheckpointRef checkpoint);

  /**
   * Runs newest first (by creation time, then id).
   *
   * @param pageSize runs per page (0 = 50, at most 1000)
   * @param pageToken empty for the first page, else a previous page's {@code nextPageToken}
   * @param states only runs in these states (empty = all)
   * @throws IllegalArgumentException for a bad page size or token (gRPC: INVALID_ARGUMENT)
   */
  default RunPage listRuns(int pageSize, String pageToken, Collection<RunState> states) {
    return listRuns(pageSize, pageToken, states, null);
  }

  /**
   * {@link #listRuns(int, String, Collection)} of one owner's runs only ({@code owner} null: every
   * owner's).
   */
  RunPage listRuns(int pageSize, String pageToken, Collection<RunState> states, String owner);

  /**
   * Receives the events this store instance appends, right after their transaction commits (the
   * live half of WatchRun). Calls come on the writing thread, so a listener must not block. Writers
   * of different threads may deliver in a different order than their sequences; a subscriber that
   * sees a gap can fill it with {@link #readEvents}.
   */
  @FunctionalInterface
  interface Listener {
    /** Events of one run, in sequence order, just committed. */
    void onEvents(String runId, List<RunEvent> events);
  }

  /**
   * Registers a listener for events appended from now on.
   *
   * @return closing it removes the listener
   */
  AutoCloseable addListener(Listener listener);

  /** Closes the database connections. */
  @Override
  void close();
}
