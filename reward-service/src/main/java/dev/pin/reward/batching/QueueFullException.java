package dev.pin.reward.batching;

/**
 * Thrown by {@link DynamicBatcher#submit} when accepting a request would exceed the queue bound.
 * The gRPC layer maps it to RESOURCE_EXHAUSTED; the client should back off and retry.
 */
public final class QueueFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int queued;
  private final int requested;
  private final int capacity;

  /**
   * Creates the exception.
   *
   * @param batcher the batcher's name
   * @param queued items queued when the request arrived
   * @param requested items in the rejected request
   * @param capacity the queue bound
   */
  public QueueFullException(String batcher, int queued, int requested, int capacity) {
    super(
        String.format(
            "reward batching queue '%s' is full: %d of %d items queued, request needs %d; retry"
                + " later, or send fewer prompts/examples per request",
            batcher, queued, capacity, requested));
    this.queued = queued;
    this.requested = requested;
    this.capacity = capacity;
  }

  /**
   * Items queued when the request arrived.
   *
   * @return the queue depth
   */
  public int queued() {
    return queued;
  }

  /**
   * Items in the rejected request.
   *
   * @return the request size
   */
  public int requested() {
    return requested;
  }

  /**
   * The queue bound.
   *
   * @return the capacity in items
   */
  public int capacity() {
    return capacity;
  }
}
