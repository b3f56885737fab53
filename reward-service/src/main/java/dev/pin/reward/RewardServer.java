package dev.pin.reward;

import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.server.ServiceModule;
import dev.pin.models.hardware.CpuFeatures;
import dev.pin.models.ort.OrtConfig;
import dev.pin.kit.grpc.ServerPaths;
import dev.pin.models.store.ModelStore;
import dev.pin.reward.batching.BatcherConfig;
import dev.pin.reward.custom.RewardFunctionRegistry;
import dev.pin.reward.ort.OrtModelCatalog;
import dev.pin.reward.ort.TaskModelPrecision;
import dev.pin.reward.scoring.RewardEngine;
import dev.pin.reward.scoring.RewardEngineConfig;
import dev.pin.reward.task.TaskRegistry;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/** The reward service as a {@link ServiceModule}, wired the same way in tests and production. */
public final class RewardServer implements ServiceModule {
  private static final Logger LOG = Logger.getLogger(RewardServer.class.getName());

  private final RewardSettings settings;
  private final ModelStore store;
  private final OrtModelCatalog catalog;
  private final RewardEngine engine;

  public RewardServer(RewardSettings settings, MeterRegistry registry) {
    this.settings = settings;
    TaskModelPrecision precision =
        new TaskModelPrecision(settings.precision(), CpuFeatures.detect());
    LOG.info("reward: " + precision.describe());
    this.store = new ModelStore(settings.modelsHome());
    this.catalog = new OrtModelCatalog(store,
        ortConfig(settings.device()), precision);
    BatcherConfig batching = new BatcherConfig("task-model", settings.maxBatchSize(),
        settings.maxBatchWait(), settings.maxQueuedSequences(), 1,
        // Buckets on the runner's padding multiple: a batch pads < 8 tokens a row (§6.1 inputs
        // of one step differ only in their sentence, so lengths spread over 10-60 tokens).
        BatcherConfig.alignedBuckets(ortConfig(settings.device()).lengthBucket()),
        Duration.ofSeconds(10));
    TaskRegistry tasks = new TaskRegistry(catalog, RewardFunctionRegistry.discover(),
        settings.maxTasks(), settings.maxTaskBytes(), settings.maxRegisteredBytes());
    this.engine = new RewardEngine(tasks, catalog,
        new RewardEngineConfig(batching, settings.cacheEntries(), 2), registry);
    io.micrometer.core.instrument.Gauge.builder("pin.reward.tasks.registered", tasks,
        TaskRegistry::size).description("Registered tasks held (reward.max-tasks bounds them)")
        .register(registry);
    io.micrometer.core.instrument.Gauge.builder("pin.reward.tasks.registered.bytes", tasks,
        TaskRegistry::totalBytes).baseUnit("bytes")
        .description("Serialized bytes of the registered tasks held "
            + "(reward.max-registered-bytes bounds them)").register(registry);
  }

  /** {@code cpu} or {@code cuda:N} as ONNX Runtime settings (CUDA falls back to CPU with a warning). */
  static OrtConfig ortConfig(String device) {
    OrtConfig base = OrtConfig.defaults();
    if (!device.startsWith("cuda:")) {
      return base;
    }
    return new OrtConfig("cuda", Integer.parseInt(device.substring("cuda:".length())),
        base.intraOpThreads(), base.interOpThreads(), base.lengthBucket(), base.precision());
  }

  @Override
  public String name() {
    return "reward";
  }

  @Override
  public ServerSettings server() {
    return settings.server();
  }

  @Override
  public ServerPaths serverPaths() {
    return ServerPaths.of(java.util.Map.of(settings.modelsHome(), "<models.home>"));
  }

  @Override
  public List<BindableService> services() {
    return List.of(new RewardService(engine));
  }

  @Override
  public void warmUp() {
    for (String name : settings.preloadModels()) {
      if (!name.equals(RewardSettings.AUTO)) {
        catalog.preload(name);
      } else if (store.find(RewardSettings.DEFAULT_TASK_MODEL).isPresent()) {
        catalog.preload(RewardSettings.DEFAULT_TASK_MODEL);
        LOG.info("reward: " + RewardSettings.DEFAULT_TASK_MODEL + " loaded");
      } else {
        LOG.info("reward: " + RewardSettings.DEFAULT_TASK_MODEL + " is not in the model store "
            + store.home() + "; task models load on a task's first use");
      }
    }
  }

  /** Whether a task model is loaded (for tests). */
  boolean isLoaded(String name) {
    return catalog.isLoaded(name);
  }

  @Override
  public void close() {
    engine.close();
    catalog.close();
  }

  public RewardSettings settings() {
    return settings;
  }
}
