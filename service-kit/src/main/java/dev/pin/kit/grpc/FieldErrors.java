package dev.pin.kit.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every invalid field of a request so that one INVALID_ARGUMENT names them all, each with
 * what to fix: {@code "batch_size: must be between 1 and 4096, got 0; run_id: is required"}.
 */
public final class FieldErrors {
  private final List<String> errors = new ArrayList<>();

  /** Records {@code field: message} when {@code ok} is false. */
  public FieldErrors check(boolean ok, String field, String message, Object... args) {
    if (!ok) {
      add(field, args.length == 0 ? message : String.format(message, args));
    }
    return this;
  }

  /** Records an error unconditionally. */
  public FieldErrors add(String field, String message) {
    errors.add(field + ": " + message);
    return this;
  }

  /** The field must be a non-blank string. */
  public FieldErrors required(String field, String value) {
    return check(value != null && !value.isBlank(), field, "is required");
  }

  /** The field must lie in [min, max]. */
  public FieldErrors range(String field, long value, long min, long max) {
    return check(value >= min && value <= max, field, "must be between %d and %d, got %d", min, max,
        value);
  }

  /** The field must lie in [min, max]; NaN fails. */
  public FieldErrors range(String field, double value, double min, double max) {
    return check(value >= min && value <= max, field, "must be between %s and %s, got %s", min, max,
        value);
  }

  public boolean isEmpty() {
    return errors.isEmpty();
  }

  public List<String> messages() {
    return List.copyOf(errors);
  }

  /** Throws INVALID_ARGUMENT naming every recorded field, if any. */
  public void throwIfAny() {
    if (!errors.isEmpty()) {
      throw Status.INVALID_ARGUMENT.withDescription(String.join("; ", errors)).asRuntimeException();
    }
  }

  /** Convenience for handlers that end with the status instead of throwing. */
  public StatusRuntimeException toException() {
    return Status.INVALID_ARGUMENT.withDescription(String.join("; ", errors)).asRuntimeException();
  }
}
