package dev.pin.orchestrator;

import dev.pin.platform.config.ClientSettings;
import dev.pin.platform.config.Config;
import dev.pin.platform.config.ConfigException;
import dev.pin.platform.config.ServerSettings;
import java.nio.file.Path;

/**
 * The orchestrator's configuration ({@code orchestrator.*} keys).
 *
 * @param server how the gRPC server is exposed
 * @param policy how to reach the policy service ({@code orchestrator.policy.address}, deadlines)
 * @param reward how to reach the reward service ({@code orchestrator.reward.*}); a {@code dns:///}
 *     address spreads calls round-robin over every replica
 * @param scorer how to reach the scorer service ({@code orchestrator.scorer.*})
 * @param storeUrl the run store's JDBC URL ({@code orchestrator.store-url}, default SQLite at
 *     {@code ~/.local/share/pin/runs.db}; {@code jdbc:postgresql://…} for PostgreSQL)
 */
public record OrchestratorSettings(
    ServerSettings server,
    ClientSettings policy,
    ClientSettings reward,
    ClientSettings scorer,
    String storeUrl) {

  /** Reads and validates the settings. */
  public static OrchestratorSettings read(Config config) {
    Path defaultDb = Path.of(System.getProperty("user.home"), ".local", "share", "pin", "runs.db");
    String storeUrl = config.string("orchestrator.store-url", "jdbc:sqlite:" + defaultDb);
    if (!storeUrl.startsWith("jdbc:sqlite:") && !storeUrl.startsWith("jdbc:postgresql:")) {
      throw new ConfigException("orchestrator.store-url",
          "expected jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB, got '" + storeUrl + "'");
    }
    return new OrchestratorSettings(
        ServerSettings.read(config, "orchestrator"),
        ClientSettings.read(config, "orchestrator", "policy"),
        ClientSettings.read(config, "orchestrator", "reward"),
        ClientSettings.read(config, "orchestrator", "scorer"),
        storeUrl);
  }

  /** The same settings with the three peers reached over in-process channels (embedded mode). */
  public OrchestratorSettings withPeersInProcess(String policyName, String rewardName,
      String scorerName) {
    return new OrchestratorSettings(
        server,
        policy.withAddress("in-process:" + policyName),
        reward.withAddress("in-process:" + rewardName),
        scorer.withAddress("in-process:" + scorerName),
        storeUrl);
  }
}
