package dev.pin.scorer;

import dev.pin.kit.client.Channels;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.server.ServiceModule;
import dev.pin.kit.grpc.ServerPaths;
import dev.pin.models.store.ModelStore;
import dev.pin.scorer.faithfulness.RewardTaskFaithfulness;
import dev.pin.scorer.faithfulness.TaskFaithfulness;
import dev.pin.v1.ModelRef;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The scorer service as a {@link ServiceModule}, wired the same way in tests and production. */
public final class ScorerServer implements ServiceModule {
  private static final Logger log = LoggerFactory.getLogger(ScorerServer.class);

  private final ScorerSettings settings;
  private final ScoringModels models;
  private final Dictionary dictionary;
  private final ScorerService service;
  private final ManagedChannel reward;

  /**
   * The scorer as production runs it: faithfulness over a channel to the Reward service at {@code
   * scorer.reward.address} (opened here, connected on first use, closed by {@link #close()}).
   */
  public ScorerServer(ScorerSettings settings, MeterRegistry registry) {
    this(settings, registry, Channels.open(settings.reward(), registry));
  }

  private ScorerServer(ScorerSettings settings, MeterRegistry registry, ManagedChannel reward) {
    this(settings, registry, new RewardTaskFaithfulness(reward,
        new ModelStore(settings.modelsHome())), reward);
  }

  /**
   * The scorer with faithfulness measured by {@code faithfulness}; {@code null} leaves it
   * unavailable (requests with a task handle get FAILED_PRECONDITION).
   */
  public ScorerServer(ScorerSettings settings, MeterRegistry registry,
      TaskFaithfulness faithfulness) {
    this(settings, registry, faithfulness, null);
  }

  private ScorerServer(ScorerSettings settings, MeterRegistry registry,
      TaskFaithfulness faithfulness, ManagedChannel reward) {
    this.settings = settings;
    this.reward = reward;
    this.models = new ScoringModels(settings);
    this.dictionary = new Dictionary(settings.wordList());
    this.service = new ScorerService(models, dictionary, faithfulness,
        new ScorerMetrics(registry), settings.maxRequestPositions());
  }

  @Override
  public String name() {
    return "scorer";
  }

  @Override
  public ServerSettings server() {
    return settings.server();
  }

  @Override
  public ServerPaths serverPaths() {
    java.util.Map<java.nio.file.Path, String> folders = new java.util.HashMap<>();
    folders.put(settings.modelsHome(), "<models.home>");
    if (settings.wordList() != null) {
      folders.put(settings.wordList(), "<scorer.word-list>");
    }
    return ServerPaths.of(folders);
  }

  @Override
  public List<BindableService> services() {
    return List.of(service);
  }

  /**
   * Loads the default model and the word list before health turns SERVING, as {@code
   * scorer.load-on-start} says: the first call then does not pay BERT-base's seconds of loading.
   */
  @Override
  public void warmUp() {
    String model = settings.naturalnessModel();
    boolean load = switch (settings.loadOnStart()) {
      case "true" -> true;
      case "false" -> false;
      default -> {
        boolean present = new ModelStore(settings.modelsHome()).find(model).isPresent();
        if (!present) {
          log.warn("scorer: default model {} is not in the model store {}; serving without it"
              + " (calls that need it fail until `pin models import {}`)", model,
              settings.modelsHome(), model);
        }
        yield present;
      }
    };
    if (load) {
      models.scorer(ModelRef.newBuilder().setName(model).build());
      dictionary.get();
      log.info("scorer: {} and word list {} loaded", settings.naturalnessModel(),
          dictionary.describe());
    }
  }

  /** Whether the default naturalness model is loaded (for tests). */
  boolean defaultModelLoaded() {
    return models.isLoaded(settings.naturalnessModel());
  }

  /**
   * Closes the Reward channel this server opened and the causal LMs' tokenizers. Sessions live in
   * the process-wide OrtSessions registry (shared with the reward service in embedded mode),
   * which the JVM's exit closes.
   */
  @Override
  public void close() {
    if (reward != null) {
      Channels.close(reward);
    }
    models.close();
  }
}
