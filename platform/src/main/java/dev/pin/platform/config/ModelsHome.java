package dev.pin.platform.config;

import java.nio.file.Path;

/** Where the model store lives: {@code models.home} (env {@code PIN_MODELS_HOME}). */
public final class ModelsHome {
  private ModelsHome() {}

  /** The default, {@code ~/.cache/pin/models}, follows the XDG cache convention. */
  public static Path defaultHome() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache = xdg != null && !xdg.isBlank()
        ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
    return cache.resolve("pin").resolve("models");
  }

  /** Reads {@code models.home}. */
  public static Path read(Config config) {
    return config.path("models.home", defaultHome());
  }
}
