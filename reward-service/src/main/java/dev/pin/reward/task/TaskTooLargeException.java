package dev.pin.reward.task;

/** A task whose inline data exceeds {@code reward.max-task-bytes} (RESOURCE_EXHAUSTED). */
public final class TaskTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** For a task of {@code bytes} serialized bytes over the {@code limit}. */
  public TaskTooLargeException(long bytes, long limit) {
    super("task: its spec is " + bytes + " bytes serialized, over this reward service's limit of "
        + limit + " (reward.max-task-bytes); register fewer or shorter examples, or raise the "
        + "setting");
  }
}
