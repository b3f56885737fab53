package dev.pin.orchestrator.loop;

import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.store.RunStore;
import dev.pin.v1.Run;
import dev.pin.v1.RunState;
import io.grpc.Status;
import dev.pin.orchestrator.data.DataRoots;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runs this orchestrator is driving: one {@link EpisodeLoop} thread per active run, at most
 * {@code maxActiveRuns} at once (several runs share the services). Runs live in the store, not
 * here: a restart finds the ones it was driving and marks them INTERRUPTED, resumable.
 */
public final class RunManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunManager.class);
  /** States a run can be resumed from. */
  public static final Set<RunState> RESUMABLE = EnumSet.of(RunState.RUN_STATE_INTERRUPTED,
      RunState.RUN_STATE_FAILED, RunState.RUN_STATE_CANCELLED, RunState.RUN_STATE_PENDING);
  /** States of a finished run. */
  public static final Set<RunState> TERMINAL = EnumSet.of(RunState.RUN_STATE_COMPLETED,
      RunState.RUN_STATE_CANCELLED, RunState.RUN_STATE_FAILED);

  private record Active(EpisodeLoop loop, Future<?> future) {}

  private final RunStore store;
  private final Peers peers;
  private final DataRoots dataRoots;
  private final ModelStore models;
  private final Duration recoveryWindow;
  private final int maxActiveRuns;
  private final ExecutorService executor;
  private final Map<String, Active> active = new ConcurrentHashMap<>();

  /**
   * A manager of runs over {@code peers}.
   *
   * @param dataBase what relative data paths in specs resolve against
   * @param models the model store warm-start prompts are tokenised with
   * @param recoveryWindow how long a run waits for a restarted peer before it fails
   * @param maxActiveRuns runs driven at once
   */
  public RunManager(RunStore store, Peers peers, Path dataBase, ModelStore models,
      Duration recoveryWindow, int maxActiveRuns) {
    this(store, peers, DataRoots.unrestricted(dataBase), models, recoveryWindow, maxActiveRuns);
  }

  /** The same, reading spec data only where {@code dataRoots} allows. */
  public RunManager(RunStore store, Peers peers, DataRoots dataRoots, ModelStore models,
      Duration recoveryWindow, int maxActiveRuns) {
    this.store = store;
    this.peers = peers;
    this.dataRoots = dataRoots;
    this.models = models;
    this.recoveryWindow = recoveryWindow;
    this.maxActiveRuns = maxActiveRuns;
    AtomicInteger id = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(maxActiveRuns, r -> {
      Thread t = new Thread(r, "run-loop-" + id.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Marks runs left RUNNING by a previous process INTERRUPTED (nothing drives them now). */
  public void recoverAfterRestart() {
    List<Run> orphans = store.listRuns(1000, "", List.of(RunState.RUN_STATE_RUNNING,
        RunState.RUN_STATE_EVALUATING)).runs();
    for (Run run : orphans) {
      if (!active.containsKey(run.getId())) {
        store.transition(run.getId(), RunState.RUN_STATE_INTERRUPTED,
            "the orchestrator restarted while the run was " + run.getState()
                + "; resume it with ResumeRun (or pin train --resume " + run.getId() + ")");
      }
    }
  }

  /** RESOURCE_EXHAUSTED when no run can start now (checked before a new run is stored). */
  public synchronized void requireCapacity() {
    if (active.size() >= maxActiveRuns) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("this orchestrator already drives "
          + maxActiveRuns + " runs (orchestrator.max-active-runs); wait for one to finish or "
          + "cancel one").asRuntimeException();
    }
  }

  /**
   * Stores a new run and starts driving it, atomically with the capacity check: concurrent
   * StartRuns either get a slot or RESOURCE_EXHAUSTED, and a refused one leaves no PENDING record.
   */
  public synchronized Run createAndStart(java.util.function.Supplier<Run> create) {
    requireCapacity();
    Run run = create.get();
    start(run.getId());
    return run;
  }

  /**
   * Starts driving a stopped run again. The run leaves its old end state (PENDING, with {@code
   * reason}) before this returns, so a WatchRun opened right after the ResumeRun reply follows the
   * new attempt instead of ending at once on the old CANCELLED or FAILED.
   */
  public synchronized void resume(String runId, String reason) {
    if (active.containsKey(runId)) {
      throw Status.FAILED_PRECONDITION.withDescription("run " + runId + " is already running")
          .asRuntimeException();
    }
    requireCapacity();
    store.transition(runId, RunState.RUN_STATE_PENDING, reason);
    start(runId);
  }

  /** Starts driving a stored run (new or resumed). */
  public synchronized void start(String runId) {
    if (active.containsKey(runId)) {
      throw Status.FAILED_PRECONDITION.withDescription("run " + runId + " is already running")
          .asRuntimeException();
    }
    requireCapacity();
    EpisodeLoop loop = new EpisodeLoop(runId, store, peers, dataRoots, models,
        recoveryWindow);
    // The slot is taken before the loop can run: a loop that ends at once (a run that fails in
    // its first call) then frees it, instead of finishing before it was registered and leaking it.
    Active[] self = new Active[1];
    FutureTask<Void> task = new FutureTask<>(() -> {
      try {
        loop.run();
      } finally {
        active.remove(runId, self[0]);
      }
    }, null);
    self[0] = new Active(loop, task);
    active.put(runId, self[0]);
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      active.remove(runId, self[0]);
      throw Status.UNAVAILABLE.withDescription("the orchestrator is shutting down")
          .asRuntimeException();
    }
  }

  /** Whether this process drives the run now. */
  public boolean isActive(String runId) {
    return active.containsKey(runId);
  }

  /**
   * Stops an active run after its current step (it checkpoints and ends CANCELLED); returns false
   * when the run is not active here.
   */
  public boolean cancel(String runId) {
    Active a = active.get(runId);
    if (a == null) {
      return false;
    }
    a.loop().requestStop(StopRequest.CANCEL);
    return true;
  }

  /** Waits until the run's loop has ended (for tests and the CLI). */
  public boolean await(String runId, Duration timeout) throws Exception {
    Active a = active.get(runId);
    if (a == null) {
      return true;
    }
    try {
      a.future().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  /** Shutdown: every active run checkpoints after its current step and ends INTERRUPTED. */
  @Override
  public void close() {
    active.values().forEach(a -> a.loop().requestStop(StopRequest.SHUTDOWN));
    executor.shutdown();
    try {
      if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
        log.warn("runs still stepping after 60 s; stopping them without a final checkpoint");
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
