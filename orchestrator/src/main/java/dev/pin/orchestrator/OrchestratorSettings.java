package dev.pin.orchestrator;

import dev.pin.kit.config.ClientSettings;
import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.models.store.ModelsHome;
import dev.pin.orchestrator.data.DataRoots;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
 * @param dataDir what relative data paths in run specs resolve against ({@code
 *     orchestrator.data-dir}, default the working directory)
 * @param maxActiveRuns runs driven at once ({@code orchestrator.max-active-runs}, default 4)
 * @param recoveryWindow how long a run waits for a restarted peer before it fails ({@code
 *     orchestrator.recovery-window}, default 2m)
 * @param modelsHome the model store ({@code models.home}); the orchestrator reads only the policy
 *     backbone's vocabulary from it, to tokenise a warm-start prompt
 * @param endedRunMetrics how long a run's per-run series stay on {@code /metrics} after it ends
 *     ({@code orchestrator.ended-run-metrics}, default 5m, Prometheus's staleness window), so that
 *     the last values of a run that ends between two scrapes are still scraped once
 * @param dataRoots the only folders run specs and EvaluatePrompt may read data from ({@code
 *     orchestrator.data-roots}, a comma-separated list; default none: any path the process can
 *     read). Outside them a request gets PERMISSION_DENIED without learning whether the path
 *     exists, and data errors name files as the request spelled them, not by server path
 * @param maxWatchers WatchRun streams open at once ({@code orchestrator.max-watchers}, default
 *     256); one more is RESOURCE_EXHAUSTED
 */
public record OrchestratorSettings(
    ServerSettings server,
    ClientSettings policy,
    ClientSettings reward,
    ClientSettings scorer,
    String storeUrl,
    Path dataDir,
    int maxActiveRuns,
    Duration recoveryWindow,
    Path modelsHome,
    Duration endedRunMetrics,
    List<Path> dataRoots,
    int maxWatchers) {

  /** Reads and validates the settings. */
  public static OrchestratorSettings read(Config config) {
    Path defaultDb = Path.of(System.getProperty("user.home"), ".local", "share", "pin", "runs.db");
    String storeUrl = config.string("orchestrator.store-url", "jdbc:sqlite:" + defaultDb);
    if (!storeUrl.startsWith("jdbc:sqlite:") && !storeUrl.startsWith("jdbc:postgresql:")) {
      throw new ConfigException("orchestrator.store-url",
          "expected jdbc:sqlite:FILE or jdbc:postgresql://HOST/DB, got '" + storeUrl + "'");
    }
    ServerSettings server = ServerSettings.read(config, "orchestrator");
    ClientSettings policy = ClientSettings.read(config, "orchestrator", "policy");
    ClientSettings reward = ClientSettings.read(config, "orchestrator", "reward");
    ClientSettings scorer = ClientSettings.read(config, "orchestrator", "scorer");
    if (server.auth().enabled()) {
      for (ClientSettings peer : java.util.List.of(policy, reward, scorer)) {
        if (peer.authToken().isEmpty() && !peer.address().startsWith("in-process:")) {
          // Users' tokens alone would leave every run's calls to the peers UNAUTHENTICATED.
          String key = "orchestrator." + peer.peer() + ".auth-token";
          throw new ConfigException(key, "authentication is on but the orchestrator has no "
              + "token for the " + peer.peer() + " service: set auth.token or auth.token-file "
              + "(the ensemble's token, PIN_AUTH_TOKEN / PIN_AUTH_TOKEN_FILE) or " + key);
        }
      }
    }
    return new OrchestratorSettings(
        server,
        policy,
        reward,
        scorer,
        storeUrl,
        config.path("orchestrator.data-dir", Path.of("").toAbsolutePath()),
        config.integer("orchestrator.max-active-runs", 4, 1, 256),
        config.duration("orchestrator.recovery-window", Duration.ofMinutes(2)),
        ModelsHome.read(config),
        config.duration("orchestrator.ended-run-metrics", Duration.ofMinutes(5)),
        paths(config, "orchestrator.data-roots"),
        config.integer("orchestrator.max-watchers", 256, 1, 1_000_000));
  }

  private static List<Path> paths(Config config, String key) {
    List<Path> paths = new ArrayList<>();
    for (String part : config.string(key, "").split(",")) {
      String p = part.strip();
      if (!p.isEmpty()) {
        paths.add(Path.of(p.equals("~") || p.startsWith("~/")
            ? System.getProperty("user.home") + p.substring(1) : p).toAbsolutePath().normalize());
      }
    }
    return List.copyOf(paths);
  }

  /** The same settings with the three peers reached over in-process channels (embedded mode). */
  public OrchestratorSettings withPeersInProcess(String policyName, String rewardName,
      String scorerName) {
    return new OrchestratorSettings(
        server,
        policy.withAddress("in-process:" + policyName),
        reward.withAddress("in-process:" + rewardName),
        scorer.withAddress("in-process:" + scorerName),
        storeUrl, dataDir, maxActiveRuns, recoveryWindow, modelsHome, endedRunMetrics,
        dataRoots, maxWatchers);
  }

  /** Where spec data may be read from: {@link #dataRoots} (none: anywhere), relative paths
   * against {@link #dataDir}. */
  public DataRoots roots() {
    return DataRoots.of(dataDir, dataRoots);
  }
}
