package dev.pin.app;

import dev.pin.kit.config.Config;
import dev.pin.kit.server.Metrics;
import dev.pin.kit.server.ServiceHost;
import dev.pin.kit.server.ServiceLauncher;
import dev.pin.kit.server.ServiceModule;
import dev.pin.orchestrator.OrchestratorServer;
import dev.pin.orchestrator.OrchestratorSettings;
import dev.pin.policy.PolicyServer;
import dev.pin.policy.PolicySettings;
import dev.pin.reward.RewardServer;
import dev.pin.reward.RewardSettings;
import dev.pin.scorer.ScorerServer;
import dev.pin.scorer.ScorerSettings;
import io.grpc.ServerBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Embedded mode: all four services in one JVM. Each service runs through the same {@link
 * ServiceHost} as when it runs alone, on two transports: in-process (how the orchestrator reaches
 * its peers here) and TCP (so grpcurl and Prometheus see the same ports as in a deployment).
 */
public final class EmbeddedEnsemble implements ServiceLauncher.Startable {
  /** Start order; shutdown runs in reverse, so the orchestrator stops before its peers. */
  public static final List<String> SERVICES = List.of("policy", "reward", "scorer", "orchestrator");

  private final List<ServiceHost> hosts = new ArrayList<>();
  private final String inProcessPrefix;

  private EmbeddedEnsemble(String inProcessPrefix) {
    this.inProcessPrefix = inProcessPrefix;
  }

  /**
   * Builds the four services from one configuration. {@code inProcessPrefix} names the in-process
   * servers ({@code <prefix>-policy} …), unique per ensemble so tests can run several; {@code tcp}
   * false leaves the TCP transports out (in-process tests).
   */
  public static EmbeddedEnsemble create(Config config, String inProcessPrefix, boolean tcp) {
    EmbeddedEnsemble ensemble = new EmbeddedEnsemble(inProcessPrefix);
    if (config.has("auth.tokens-file")) {
      // The services call each other as the ensemble's admin identity; users' tokens come from
      // the file. Without a configured ensemble token, one is made up for this process: it never
      // leaves the JVM (the peers are in-process).
      byte[] secret = new byte[32];
      new java.security.SecureRandom().nextBytes(secret);
      config.setIfUnset("auth.token", java.util.HexFormat.of().formatHex(secret),
          "a token generated for the in-process peers");
    }
    PolicySettings policy = PolicySettings.read(config);
    RewardSettings reward = RewardSettings.read(config);
    // The scorer measures faithfulness through the Reward service of the same ensemble.
    ScorerSettings scorer = ScorerSettings.read(config)
        .withRewardAddress("in-process:" + ensemble.inProcessName("reward"));
    OrchestratorSettings orchestrator = OrchestratorSettings.read(config).withPeersInProcess(
        ensemble.inProcessName("policy"), ensemble.inProcessName("reward"),
        ensemble.inProcessName("scorer"));
    config.requireAllConsumed(List.of("orchestrator", "policy", "reward", "scorer", "models"));

    PrometheusMeterRegistry policyMetrics = Metrics.newRegistry("policy");
    ensemble.add(new PolicyServer(policy, policyMetrics), policyMetrics, tcp);
    PrometheusMeterRegistry rewardMetrics = Metrics.newRegistry("reward");
    ensemble.add(new RewardServer(reward, rewardMetrics), rewardMetrics, tcp);
    PrometheusMeterRegistry scorerMetrics = Metrics.newRegistry("scorer");
    ensemble.add(new ScorerServer(scorer, scorerMetrics), scorerMetrics, tcp);
    PrometheusMeterRegistry orchestratorMetrics = Metrics.newRegistry("orchestrator");
    ensemble.add(new OrchestratorServer(orchestrator, orchestratorMetrics), orchestratorMetrics,
        tcp);
    return ensemble;
  }

  private void add(ServiceModule module, PrometheusMeterRegistry registry, boolean tcp) {
    List<ServerBuilder<?>> transports = new ArrayList<>();
    transports.add(InProcessServerBuilder.forName(inProcessName(module.name())));
    if (tcp) {
      transports.add(ServiceLauncher.tcp(module.server()));
    }
    hosts.add(new ServiceHost(module, registry, transports));
  }

  /** The in-process server name of a service, e.g. {@code pin-policy}. */
  public String inProcessName(String service) {
    return inProcessPrefix + "-" + service;
  }

  @Override
  public void start() throws IOException {
    for (ServiceHost host : hosts) {
      host.start();
    }
  }

  /** Waits until every service is SERVING; false if one is not within the timeout. */
  public boolean awaitReady(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    for (ServiceHost host : hosts) {
      long left = deadline - System.nanoTime();
      if (!host.awaitReady(Math.max(1, left), TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  /** The hosts in start order. */
  public List<ServiceHost> hosts() {
    return List.copyOf(hosts);
  }

  /** One service's host by short name. */
  public ServiceHost host(String service) {
    return hosts.stream().filter(h -> h.name().equals(service)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no service " + service));
  }

  @Override
  public void close() {
    for (int i = hosts.size() - 1; i >= 0; i--) {
      hosts.get(i).close();
    }
  }
}
