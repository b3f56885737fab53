package dev.pin.scorer;

import dev.pin.kit.server.ServiceLauncher;

/** Runs the scorer service alone: {@code pin serve scorer} or the container's entry point. */
public final class ScorerMain {
  private ScorerMain() {}

  public static void main(String[] args) {
    System.exit(ServiceLauncher.serveAlone(ServiceLauncher.config(args),
        "scorer", (config, registry) -> new ScorerServer(ScorerSettings.read(config), registry)));
  }
}
