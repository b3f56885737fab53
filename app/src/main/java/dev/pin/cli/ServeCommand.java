package dev.pin.cli;

import dev.pin.kit.config.ConfigException;
import dev.pin.kit.server.ServiceLauncher;
import dev.pin.orchestrator.OrchestratorServer;
import dev.pin.orchestrator.OrchestratorSettings;
import dev.pin.policy.PolicyServer;
import dev.pin.policy.PolicySettings;
import dev.pin.reward.RewardServer;
import dev.pin.reward.RewardSettings;
import dev.pin.scorer.ScorerServer;
import dev.pin.scorer.ScorerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code pin serve SERVICE}: one service in this process (distributed mode). */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {
        "Run one service in this process (distributed mode). Peers are found by address from "
            + "configuration, e.g. pin serve orchestrator --orchestrator.reward.address="
            + "dns:///reward:50052",
        "SERVICE is one of: orchestrator, policy, reward, scorer."})
final class ServeCommand implements Callable<Integer> {
  /** The services {@code pin serve} knows. */
  enum Service { orchestrator, policy, reward, scorer }

  @Parameters(index = "0", paramLabel = "SERVICE",
      description = "orchestrator, policy, reward or scorer.")
  Service service;

  @Mixin
  ConfigOptions config;

  @Unmatched
  List<String> settings = new ArrayList<>();

  @Override
  public Integer call() {
    try {
      return ServiceLauncher.serveAlone(config.load(settings), service.name(),
          (c, registry) -> switch (service) {
            case orchestrator -> new OrchestratorServer(OrchestratorSettings.read(c), registry);
            case policy -> new PolicyServer(PolicySettings.read(c), registry);
            case reward -> new RewardServer(RewardSettings.read(c), registry);
            case scorer -> new ScorerServer(ScorerSettings.read(c), registry);
          });
    } catch (ConfigException e) {
      System.err.println("pin serve: configuration error: " + e.getMessage());
      return Pin.ExitCodes.USAGE;
    }
  }
}
