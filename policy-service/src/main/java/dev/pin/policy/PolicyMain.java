package dev.pin.policy;

import dev.pin.kit.server.ServiceLauncher;

/** Runs the policy service alone: {@code pin serve policy} or the container's entry point. */
public final class PolicyMain {
  private PolicyMain() {}

  public static void main(String[] args) {
    System.exit(ServiceLauncher.serveAlone(ServiceLauncher.config(args),
        "policy", (config, registry) -> new PolicyServer(PolicySettings.read(config), registry)));
  }
}
