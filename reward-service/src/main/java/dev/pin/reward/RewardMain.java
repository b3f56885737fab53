package dev.pin.reward;

import dev.pin.kit.server.ServiceLauncher;

/** Runs the reward service alone: {@code pin serve reward} or the container's entry point. */
public final class RewardMain {
  private RewardMain() {}

  public static void main(String[] args) {
    System.exit(ServiceLauncher.serveAlone(ServiceLauncher.config(args),
        "reward", (config, registry) -> new RewardServer(RewardSettings.read(config), registry)));
  }
}
