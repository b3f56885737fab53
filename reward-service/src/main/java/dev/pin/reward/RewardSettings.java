package dev.pin.reward;

import dev.pin.kit.config.Config;
import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.models.store.ModelsHome;
import dev.pin.reward.ort.TaskModelPrecision;
import dev.pin.reward.task.TaskRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The reward service's configuration ({@code reward.*} keys).
 *
 * @param server how the gRPC server is exposed
 * @param device {@code cpu} or {@code cuda:N}: ONNX Runtime's execution provider ({@code
 *     reward.device})
 * @param maxBatchSize most sequences in one model batch ({@code reward.max-batch-size}, default 64)
 * @param maxBatchWait how long the batcher waits to fill a batch ({@code reward.max-batch-wait},
 *     default 5ms)
 * @param maxQueuedSequences sequences waiting for the model before callers get RESOURCE_EXHAUSTED
 *     ({@code reward.max-queued-sequences}, default 65 536)
 * @param cacheEntries reward cache size in (task, prompt) entries ({@code reward.cache-entries},
 *     default 100 000; 0 turns it off)
 * @param preloadModels models loaded before health turns SERVING ({@code reward.preload-models},
 *     comma-separated names from the model store; {@value #AUTO}, the default, stands for {@value
 *     #DEFAULT_TASK_MODEL} when the store has it, so that a run's first Score call does not wait
 *     for BERT-base to load; an empty value preloads nothing)
 * @param precision precision of masked task LMs whose task leaves it unset ({@code
 *     reward.precision}: {@code auto} (default: int8 where the CPU has VNNI and the model has the
 *     accurate int8 variant, else fp32), {@code fp32} or {@code int8})
 * @param modelsHome the model store ({@code models.home})
 * @param maxTasks tasks held at once, least recently used evicted beyond ({@code
 *     reward.max-tasks}, default 1 024)
 * @param maxTaskBytes largest task accepted, serialized ({@code reward.max-task-bytes}, default
 *     32MiB; RESOURCE_EXHAUSTED beyond)
 * @param maxRegisteredBytes serialized tasks held in all, least recently used evicted beyond
 *     ({@code reward.max-registered-bytes}, default 256MiB)
 */
public record RewardSettings(
    ServerSettings server,
    String device,
    int maxBatchSize,
    Duration maxBatchWait,
    int maxQueuedSequences,
    int cacheEntries,
    List<String> preloadModels,
    TaskModelPrecision.Setting precision,
    Path modelsHome,
    int maxTasks,
    long maxTaskBytes,
    long maxRegisteredBytes) {

  private static final Pattern DEVICE = Pattern.compile("cpu|cuda:\\d+");
  /** The {@code reward.preload-models} entry for the default task model, if imported. */
  public static final String AUTO = "auto";
  /** The §8 default task model (run specs that name none use it). */
  public static final String DEFAULT_TASK_MODEL = "bert-base-uncased";

  /** Reads and validates the settings. */
  public static RewardSettings read(Config config) {
    String device = config.string("reward.device", "cpu");
    if (!DEVICE.matcher(device).matches()) {
      throw new ConfigException(
          "reward.device", "expected cpu or cuda:N (e.g. cuda:0), got '" + device + "'");
    }
    String preload = config.string("reward.preload-models", AUTO);
    long maxTaskBytes = config.bytes("reward.max-task-bytes", TaskRegistry.DEFAULT_MAX_TASK_BYTES,
        1, 1L << 31);
    long maxRegisteredBytes = config.bytes("reward.max-registered-bytes",
        TaskRegistry.DEFAULT_MAX_TOTAL_BYTES, 1, 1L << 40);
    if (maxRegisteredBytes < maxTaskBytes) {
      throw new ConfigException("reward.max-registered-bytes", "must be at least "
          + "reward.max-task-bytes (" + maxTaskBytes + "), got " + maxRegisteredBytes);
    }
    return new RewardSettings(
        ServerSettings.read(config, "reward"),
        device,
        config.integer("reward.max-batch-size", 64, 1, 65536),
        config.duration("reward.max-batch-wait", Duration.ofMillis(5)),
        config.integer("reward.max-queued-sequences", 65536, 1, 1 << 26),
        config.integer("reward.cache-entries", 100_000, 0, 100_000_000),
        Arrays.stream(preload.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList(),
        TaskModelPrecision.Setting.parse(
            config.oneOf("reward.precision", "auto", List.of("auto", "fp32", "int8"))),
        ModelsHome.read(config),
        config.integer("reward.max-tasks", 1024, 1, 1 << 20),
        maxTaskBytes,
        maxRegisteredBytes);
  }
}
