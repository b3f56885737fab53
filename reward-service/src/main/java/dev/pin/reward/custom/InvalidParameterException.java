package dev.pin.reward.custom;

/** A custom reward parameter that is missing or malformed; becomes INVALID_ARGUMENT. */
public final class InvalidParameterException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String param;

  /**
   * Creates the exception.
   *
   * @param param the parameter's name
   * @param message what is wrong and how to fix it
   */
  public InvalidParameterException(String param, String message) {
    super(message);
    this.param = param;
  }

  /**
   * The bad parameter.
   *
   * @return its name
   */
  public String param() {
    return param;
  }
}
