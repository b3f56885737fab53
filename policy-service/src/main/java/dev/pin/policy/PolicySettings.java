package dev.pin.policy;

import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.models.store.ModelsHome;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The policy service's configuration ({@code policy.*} keys).
 *
 * @param server how the gRPC server is exposed
 * @param device default device of new policies: {@code cpu} or {@code cuda:N} ({@code
 *     policy.device})
 * @param maxPolicies most policies held at once ({@code policy.max-policies}, default 8); each
 *     holds an MLP, its target, Adam state and a replay buffer, so this bounds memory
 * @param checkpointDir where checkpoints are written ({@code policy.checkpoint-dir}, default
 *     {@code ~/.local/share/pin/checkpoints}; a volume in containers)
 * @param modelsHome the model store ({@code models.home}, default {@code ~/.cache/pin/models})
 * @param keepCheckpoints checkpoints kept per run, the newest ({@code policy.keep-checkpoints},
 *     default 3; 0 keeps all): each can hold a replay buffer of hundreds of megabytes
 * @param maxAnonymousPolicies policies without a run held at once ({@code
 *     policy.max-anonymous-policies}, default 2, at most {@code max-policies}): a CreatePolicy
 *     from a client other than the orchestrator; the least recently used makes room for a new
 *     one, and a run's policy evicts one rather than fail, so they never starve runs
 * @param anonymousIdleTtl how long a policy without a run may go unused before it is dropped
 *     ({@code policy.anonymous-idle-ttl}, default 30m)
 */
public record PolicySettings(
    ServerSettings server, String device, int maxPolicies, Path checkpointDir, Path modelsHome,
    int keepCheckpoints, int maxAnonymousPolicies, java.time.Duration anonymousIdleTtl) {

  private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");

  /** Reads and validates the settings. */
  public static PolicySettings read(Config config) {
    ServerSettings server = ServerSettings.read(config, "policy");
    String device = config.string("policy.device", "cpu");
    if (!DEVICE.matcher(device).matches()) {
      throw new ConfigException(
          "policy.device", "expected cpu or cuda:N (e.g. cuda:0), got '" + device + "'");
    }
    String home = System.getProperty("user.home");
    int maxPolicies = config.integer("policy.max-policies", 8, 1, 1024);
    return new PolicySettings(
        server,
        device,
        maxPolicies,
        config.path("policy.checkpoint-dir", Path.of(home, ".local", "share", "pin", "checkpoints")),
        ModelsHome.read(config),
        config.integer("policy.keep-checkpoints", 3, 0, 1_000_000),
        config.integer("policy.max-anonymous-policies", Math.min(2, maxPolicies), 0, maxPolicies),
        config.duration("policy.anonymous-idle-ttl", java.time.Duration.ofMinutes(30)));
  }
}
