package dev.pin.orchestrator;

import dev.pin.platform.client.Channels;
import dev.pin.platform.config.ServerSettings;
import dev.pin.platform.server.ServiceModule;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The orchestrator as a {@link ServiceModule}. It opens (and closes) one channel to each peer
 * service, by TCP or, in embedded mode, in-process; every call on them carries a deadline.
 */
public final class OrchestratorServer implements ServiceModule {
  private final OrchestratorSettings settings;
  private final ManagedChannel policy;
  private final ManagedChannel reward;
  private final ManagedChannel scorer;

  public OrchestratorServer(OrchestratorSettings settings, MeterRegistry registry) {
    this.settings = settings;
    this.policy = Channels.open(settings.policy(), registry);
    this.reward = Channels.open(settings.reward(), registry);
    this.scorer = Channels.open(settings.scorer(), registry);
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
  public List<BindableService> services() {
    return List.of(new OrchestratorService());
  }

  @Override
  public void close() {
    Channels.close(policy);
    Channels.close(reward);
    Channels.close(scorer);
  }
}
