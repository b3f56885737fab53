package dev.pin.orchestrator.store;

/** No run with the given id is in the store (gRPC: NOT_FOUND). */
public final class UnknownRunException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String runId;

  /** Creates the exception for a run id. */
  public UnknownRunException(String runId) {
    super("no run with id '" + runId + "'; ListRuns shows the runs in the store");
    this.runId = runId;
  }

  /** The id that was not found. */
  public String runId() {
    return runId;
  }
}
