package dev.pin.kit.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.logging.LogManager;

/** Applies the bundled one-line log format unless the user named their own configuration. */
public final class Logging {
  private Logging() {}

  /** Reads {@code logging.properties} from the classpath when no file was configured. */
  public static void init() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    try (InputStream in = Logging.class.getResourceAsStream("/logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    } catch (IOException e) {
      System.err.println("pin: could not read the bundled logging configuration: " + e);
    }
  }
}
