package dev.pin.policy;

import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.server.ServiceModule;
import dev.pin.kit.grpc.ServerPaths;
import dev.pin.models.store.ModelStore;
import dev.pin.policy.ort.OrtBackbone;
import io.grpc.BindableService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * The policy service as a {@link ServiceModule}: {@code new ServiceHost(new PolicyServer(…), …)}
 * puts it on any transport, exactly as {@link PolicyMain} does in production.
 */
public final class PolicyServer implements ServiceModule {
  private final PolicySettings settings;
  private final Backbones backbones;
  private final PolicyRegistry policies;
  private final PolicyService service;

  public PolicyServer(PolicySettings settings, MeterRegistry registry) {
    this.settings = settings;
    // The backbone forward shares the cores with PyTorch; ORT's default pool is one per core.
    this.backbones = new Backbones(new ModelStore(settings.modelsHome()),
        OrtBackbone.defaultConfig());
    this.policies = new PolicyRegistry(settings.maxPolicies(), settings.maxAnonymousPolicies(),
        settings.anonymousIdleTtl(), java.time.Clock.systemUTC());
    this.service = new PolicyService(settings, backbones, policies, registry);
    Gauge.builder("pin.train.policies", policies, PolicyRegistry::size)
        .description("Policies held by this service").register(registry);
    Gauge.builder("pin.train.policies.anonymous", policies, PolicyRegistry::anonymousSize)
        .description("Policies without a run held by this service "
            + "(policy.max-anonymous-policies bounds them)").register(registry);
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
  public ServerPaths serverPaths() {
    return ServerPaths.of(java.util.Map.of(
        settings.checkpointDir(), "<policy.checkpoint-dir>",
        settings.modelsHome(), "<models.home>"));
  }

  @Override
  public List<BindableService> services() {
    return List.of(service);
  }

  @Override
  public void close() {
    policies.close();
    backbones.close();
  }

  public PolicySettings settings() {
    return settings;
  }
}
