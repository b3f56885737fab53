package dev.pin.kit.config;

/** A configuration value is missing or invalid; the message names the setting and where it came from. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The offending setting, e.g. {@code policy.port}. */
  public String key() {
    return key;
  }
}
