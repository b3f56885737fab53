package dev.pin.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.models.testing.TinyModels;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health turns SERVING only once the default task model (when imported) is loaded. */
class RewardWarmUpTest {
  @TempDir Path home;

  private ServiceHost start(RewardServer server) throws Exception {
    ServiceHost host = new ServiceHost(server, Metrics.newRegistry("reward"),
        List.of(InProcessServerBuilder.forName(InProcessServerBuilder.generateName())));
    host.start();
    return host;
  }

  private RewardSettings settings(Map<String, String> extra) {
    Map<String, String> config = new java.util.HashMap<>(Map.of(
        "models.home", home.resolve("models").toString(), "reward.metrics-port", "-1"));
    config.putAll(extra);
    return RewardSettings.read(Config.of(config));
  }

  @Test
  void byDefaultTheDefaultTaskModelIsLoadedBeforeServing() throws Exception {
    // A tiny masked LM stored under the default task model's name stands in for BERT-base.
    TinyModels.bertMlm(home.resolve("models").resolve(RewardSettings.DEFAULT_TASK_MODEL), 11);
    RewardSettings settings = settings(Map.of());
    assertEquals(List.of(RewardSettings.AUTO), settings.preloadModels());
    RewardServer server = new RewardServer(settings, Metrics.newRegistry("reward"));
    assertFalse(server.isLoaded(RewardSettings.DEFAULT_TASK_MODEL));
    ServiceHost host = start(server);
    try {
      assertTrue(host.awaitReady(60, TimeUnit.SECONDS));
      assertTrue(server.isLoaded(RewardSettings.DEFAULT_TASK_MODEL), "loaded before SERVING");
    } finally {
      host.close();
    }
  }

  @Test
  void withoutTheDefaultModelInTheStoreTheServiceStillServes() throws Exception {
    RewardServer server = new RewardServer(settings(Map.of()), Metrics.newRegistry("reward"));
    ServiceHost host = start(server);
    try {
      assertTrue(host.awaitReady(30, TimeUnit.SECONDS), "SERVING: task models load on first use");
      assertFalse(server.isLoaded(RewardSettings.DEFAULT_TASK_MODEL));
    } finally {
      host.close();
    }
  }

  @Test
  void anEmptyPreloadListLoadsNothing() throws Exception {
    TinyModels.bertMlm(home.resolve("models").resolve(RewardSettings.DEFAULT_TASK_MODEL), 11);
    RewardServer server = new RewardServer(settings(Map.of("reward.preload-models", "")),
        Metrics.newRegistry("reward"));
    ServiceHost host = start(server);
    try {
      assertTrue(host.awaitReady(30, TimeUnit.SECONDS));
      assertFalse(server.isLoaded(RewardSettings.DEFAULT_TASK_MODEL));
    } finally {
      host.close();
    }
  }
}
