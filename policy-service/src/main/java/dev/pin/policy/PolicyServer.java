package dev.pin.policy;

import dev.pin.platform.config.ServerSettings;
import dev.pin.platform.server.ServiceModule;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The policy service as a {@link ServiceModule}: {@code new ServiceHost(new PolicyServer(settings),
 * …)} puts it on any transport, exactly as {@link PolicyMain} does in production.
 */
public final class PolicyServer implements ServiceModule {
  private final PolicySettings settings;
  private final MeterRegistry registry;

  public PolicyServer(PolicySettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.registry = registry;
  }

  @Override
  public String name() {
    return "policy";
  }

  @Override
  public ServerSettings server() {
    return settings.server();
  }

  @Override
  public List<BindableService> services() {
    return List.of(new PolicyService(settings));
  }

  public PolicySettings settings() {
    return settings;
  }
}
