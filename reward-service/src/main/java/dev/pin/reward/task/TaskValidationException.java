package dev.pin.reward.task;

import java.util.List;
import java.util.stream.Collectors;

/** A task spec that cannot be registered as given; the gRPC layer maps it to INVALID_ARGUMENT. */
public final class TaskValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<FieldError> errors;

  /**
   * Creates the exception.
   *
   * @param errors every problem found (at least one)
   */
  public TaskValidationException(List<FieldError> errors) {
    super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  /**
   * The problems, in field order.
   *
   * @return the errors
   */
  public List<FieldError> errors() {
    return errors;
  }
}
