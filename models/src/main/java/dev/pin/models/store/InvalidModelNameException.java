package dev.pin.models.store;

/**
 * A model name that cannot name a folder of the store ({@link ModelStore#nameProblem}): the
 * caller's mistake, so services answer INVALID_ARGUMENT for it.
 */
public final class InvalidModelNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** For {@code name}, with what is wrong with it. */
  public InvalidModelNameException(String name, String problem) {
    super("invalid model name '" + (name.length() > 64 ? name.substring(0, 64) + "…" : name)
        + "': " + problem);
  }
}
