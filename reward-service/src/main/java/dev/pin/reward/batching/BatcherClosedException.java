package dev.pin.reward.batching;

/**
 * Thrown by {@link DynamicBatcher#submit} after shutdown began, and used to fail requests that were
 * still queued when the shutdown grace period ran out. The gRPC layer maps it to UNAVAILABLE.
 */
public final class BatcherClosedException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what happened
   */
  public BatcherClosedException(String message) {
    super(message);
  }
}
