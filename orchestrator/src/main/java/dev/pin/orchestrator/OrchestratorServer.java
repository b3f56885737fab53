package dev.pin.orchestrator;

import dev.pin.kit.client.Channels;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.server.ServiceModule;
import dev.pin.kit.grpc.ServerPaths;
import dev.pin.models.store.ModelStore;
import dev.pin.orchestrator.loop.Peers;
import dev.pin.orchestrator.loop.RunManager;
import dev.pin.orchestrator.store.JdbcRunStore;
import dev.pin.orchestrator.store.RunStore;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The orchestrator as a {@link ServiceModule}. It opens (and closes) one channel to each peer
 * service, by TCP or, in embedded mode, in-process; every call on them carries a deadline. The run
 * store opens in the constructor; the warm-up marks runs a previous process left running as
 * INTERRUPTED before health turns SERVING.
 */
public final class OrchestratorServer implements ServiceModule {
  private final OrchestratorSettings settings;
  private final ManagedChannel policy;
  private final ManagedChannel reward;
  private final ManagedChannel scorer;
  private final RunStore store;
  private final RunManager runs;
  private final OrchestratorService service;
  private final RunMetrics metrics;

  public OrchestratorServer(OrchestratorSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.policy = Channels.open(settings.policy(), registry);
    this.reward = Channels.open(settings.reward(), registry);
    this.scorer = Channels.open(settings.scorer(), registry);
    this.store = openStore(settings.storeUrl());
    Peers peers = Peers.over(policy, reward, scorer);
    ModelStore models = new ModelStore(settings.modelsHome());
    this.runs = new RunManager(store, peers, settings.roots(), models,
        settings.recoveryWindow(), settings.maxActiveRuns());
    this.service = new OrchestratorService(store, runs, peers, settings.roots(), models,
        settings.maxWatchers());
    this.metrics = RunMetrics.of(store, registry, settings.endedRunMetrics());
  }

  private static RunStore openStore(String url) {
    if (url.startsWith("jdbc:sqlite:")) {
      Path file = Path.of(url.substring("jdbc:sqlite:".length())).toAbsolutePath();
      try {
        Files.createDirectories(file.getParent());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the run store's folder", e);
      }
      return JdbcRunStore.openSqlite(file);
    }
    return JdbcRunStore.open(url);
  }

  @Override
  public String name() {
    return "orchestrator";
  }

  @Override
  public ServerSettings server() {
    return settings.server();
  }

  @Override
  public ServerPaths serverPaths() {
    return service.serverPaths();
  }

  @Override
  public List<BindableService> services() {
    return List.of(service);
  }

  @Override
  public void warmUp() {
    runs.recoverAfterRestart();
  }

  /** The run store (for the CLI's local commands and tests). */
  public RunStore store() {
    return store;
  }

  /** The active runs (for tests). */
  public RunManager runs() {
    return runs;
  }

  @Override
  public void close() {
    runs.close();
    metrics.close();
    store.close();
    Channels.close(policy);
    Channels.close(reward);
    Channels.close(scorer);
  }
}
