package dev.pin.reward;

import dev.pin.platform.config.ServerSettings;
import dev.pin.platform.server.ServiceModule;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/** The reward service as a {@link ServiceModule}, wired the same way in tests and production. */
public final class RewardServer implements ServiceModule {
  private final RewardSettings settings;
  private final MeterRegistry registry;

  public RewardServer(RewardSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
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
  public List<BindableService> services() {
    return List.of(new RewardService());
  }

  @Override
  public void warmUp() {
    if (!settings.preloadModels().isEmpty()) {
      throw new IllegalStateException("reward.preload-models lists " + settings.preloadModels()
          + " but model loading arrives with the models issue (#3); remove the setting");
    }
  }

  public RewardSettings settings() {
    return settings;
  }
}
