package dev.pin.reward.task;

/**
 * One problem with a task spec.
 *
 * @param path the field path from the request, e.g. {@code task.classification.verbalizers[1]}
 * @param message what is wrong and how to fix it
 */
public record FieldError(String path, String message) {
  @Override
  public String toString() {
    return path + ": " + message;
  }
}
