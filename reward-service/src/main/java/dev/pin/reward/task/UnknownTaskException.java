package dev.pin.reward.task;

/** A handle this replica does not hold; the gRPC layer maps it to NOT_FOUND (re-register). */
public final class UnknownTaskException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param handle the unknown handle
   */
  public UnknownTaskException(String handle) {
    super(
        "task handle '"
            + handle
            + "' is not registered on this reward replica (replicas do not share tasks, and idle"
            + " tasks are evicted); call RegisterTask with the spec again — the handle is a content"
            + " hash, so it will be the same");
  }
}
