package dev.pin.orchestrator.store;

/**
 * The database failed (unreachable, locked beyond the busy timeout, disk full, a schema newer than
 * this code). Unchecked because callers can only report it (gRPC: UNAVAILABLE or INTERNAL); the
 * cause holds the driver's {@link java.sql.SQLException}.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception. */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Creates the exception without a cause. */
  public StoreException(String message) {
    super(message);
  }
}
