package dev.pin.reward.scoring;

import dev.pin.models.store.InvalidModelNameException;
import dev.pin.reward.batching.BatcherClosedException;
import dev.pin.reward.batching.QueueFullException;
import dev.pin.reward.custom.InvalidParameterException;
import dev.pin.reward.task.ModelNotFoundException;
import dev.pin.reward.task.TaskTooLargeException;
import dev.pin.reward.task.TaskValidationException;
import dev.pin.reward.task.UnknownTaskException;
import dev.pin.reward.task.UnsupportedTaskRequestException;
import io.grpc.Status;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps reward-service exceptions to gRPC statuses (STYLE.md's status code rules). */
public final class RewardStatuses {
  private RewardStatuses() {}

  /**
   * The status for a failure of the engine or the registry.
   *
   * @param error any throwable (CompletionException/ExecutionException wrappers are unwrapped)
   * @return INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE, or
   *     INTERNAL for anything unexpected; the description says what to fix
   */
  public static Status fromThrowable(Throwable error) {
    Throwable e = unwrap(error);
    if (e instanceof TaskValidationException || e instanceof InvalidParameterException
        || e instanceof InvalidModelNameException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    if (e instanceof UnknownTaskException) {
      return Status.NOT_FOUND.withDescription(e.getMessage());
    }
    if (e instanceof ModelNotFoundException || e instanceof UnsupportedTaskRequestException) {
      return Status.FAILED_PRECONDITION.withDescription(e.getMessage());
    }
    if (e instanceof QueueFullException || e instanceof TaskTooLargeException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
    }
    if (e instanceof CancellationException) {
      // The caller gave up (its deadline, a cancellation); it will not read this answer.
      return Status.CANCELLED.withDescription(e.getMessage());
    }
    if (e instanceof BatcherClosedException) {
      return Status.UNAVAILABLE.withDescription(e.getMessage());
    }
    return Status.INTERNAL.withDescription("reward computation failed: " + e).withCause(e);
  }

  /**
   * Strips CompletionException/ExecutionException wrappers.
   *
   * @param error a throwable
   * @return its innermost meaningful cause
   */
  public static Throwable unwrap(Throwable error) {
    Throwable e = error;
    while ((e instanceof CompletionException || e instanceof ExecutionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
