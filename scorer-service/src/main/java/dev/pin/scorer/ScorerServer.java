package dev.pin.scorer;

import dev.pin.platform.config.ServerSettings;
import dev.pin.platform.server.ServiceModule;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/** The scorer service as a {@link ServiceModule}, wired the same way in tests and production. */
public final class ScorerServer implements ServiceModule {
  private final ScorerSettings settings;
  private final MeterRegistry registry;

  public ScorerServer(ScorerSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
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
  public List<BindableService> services() {
    return List.of(new ScorerService(settings));
  }

  @Override
  public void warmUp() {
    if (settings.loadOnStart()) {
      throw new IllegalStateException("scorer.load-on-start is set, but loading "
          + settings.naturalnessModel() + " arrives with the models issue (#3); unset it");
    }
  }
}
