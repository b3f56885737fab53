package dev.pin.orchestrator;

import dev.pin.kit.server.ServiceLauncher;

/** Runs the orchestrator alone: {@code pin serve orchestrator} or the container's entry point. */
public final class OrchestratorMain {
  private OrchestratorMain() {}

  public static void main(String[] args) {
    System.exit(ServiceLauncher.serveAlone(ServiceLauncher.config(args), "orchestrator",
        (config, registry) -> new OrchestratorServer(OrchestratorSettings.read(config),
            registry)));
  }
}
