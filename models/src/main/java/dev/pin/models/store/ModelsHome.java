package dev.pin.models.store;

import dev.pin.kit.config.Config;
import java.nio.file.Path;

/** Where the model store lives: {@code models.home} (env {@code PIN_MODELS_HOME}). */
public final class ModelsHome {
  private ModelsHome() {}

  /** Reads {@code models.home}; unset, the model store's own default applies. */
  public static Path read(Config config) {
    return config.path("models.home", ModelStore.defaultHome());
  }
}
