package dev.pin.reward.task;

/**
 * A well-formed request that the task it names cannot serve (e.g. {@code read_token_ids} on a
 * style-transfer task); the gRPC layer maps it to FAILED_PRECONDITION, and the message says which
 * tasks can.
 */
public final class UnsupportedTaskRequestException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message the field, why this task cannot serve it, and which tasks can
   */
  public UnsupportedTaskRequestException(String message) {
    super(message);
  }
}
