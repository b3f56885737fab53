package dev.pin.kit.server;

import dev.pin.kit.config.ConfigException;
import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.grpc.BearerToken;
import dev.pin.kit.grpc.ExceptionStatusInterceptor;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one bootstrap of every service: the module's gRPC services on one or more transports (TCP,
 * and in embedded mode also in-process), the standard health service with real readiness, server
 * reflection (v1 and v1alpha, so grpcurl works without proto files), per-method latency and status
 * metrics on a Prometheus endpoint, message-size limits, a bounded handler executor with a bounded
 * queue, and one graceful shutdown sequence.
 */
public final class ServiceHost implements ServiceLauncher.Startable {
  private static final Logger log = LoggerFactory.getLogger(ServiceHost.class);

  private final ServiceModule module;
  private final ServerSettings settings;
  private final PrometheusMeterRegistry registry;
  private final HealthStatusManager health = new HealthStatusManager();
  /**
   * Marks, in a call's headers, a call that found the handler queue full; set by the call executor
   * supplier (which sees the queue but cannot answer the call) for {@link #refuseQueueFull} (which
   * can). Any client-sent header of this name is dropped first.
   */
  private static final Metadata.Key<String> QUEUE_FULL =
      Metadata.Key.of("pin-internal-queue-full", Metadata.ASCII_STRING_MARSHALLER);

  private final ThreadPoolExecutor handlers;
  /**
   * The server's own executor: it looks each call's method up, then hands the call to the
   * handlers, except health checks, which it answers itself. A liveness probe is so answered
   * while every handler thread is busy with a long model call (one Score of 3 072 sequences held
   * Health for 55 s when they shared the pool).
   */
  private final ExecutorService dispatch;
  private final List<Server> servers = new ArrayList<>();
  /** The plaintext health-only port ({@code <service>.health-port}), or null. */
  private final Server healthServer;
  private final List<String> serviceNames = new ArrayList<>();
  private MetricsEndpoint metrics;
  private Thread warmUp;
  private volatile boolean ready;
  private volatile Throwable warmUpFailure;
  private boolean stopped;

  /**
   * Wires the module onto every transport. The builders come from the caller so that tests and
   * embedded mode exercise exactly the production wiring over in-process transports.
   */
  public ServiceHost(
      ServiceModule module,
      PrometheusMeterRegistry registry,
      List<? extends ServerBuilder<?>> transports) {
    this.module = module;
    this.settings = module.server();
    this.registry = registry;
    AtomicInteger threadId = new AtomicInteger();
    // Handlers block on model inference; a fixed pool bounds concurrent compute (and memory) and
    // keeps that work off the transport's event loop.
    // Its queue stays unbounded: a call already admitted must never be refused its next message
    // or completion; admission (below) bounds it instead, before a call is handed over.
    this.handlers = new ThreadPoolExecutor(settings.handlerThreads(), settings.handlerThreads(),
        0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, module.name() + "-handler-" + threadId.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.dispatch = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, module.name() + "-dispatch-" + threadId.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    MetricCollectingServerInterceptor metricsInterceptor = new MetricCollectingServerInterceptor(
        registry, counter -> counter, Metrics::latencyBuckets, Status.Code.OK);
    List<ServerServiceDefinition> definitions = new ArrayList<>();
    ServerInterceptor authenticate = BearerToken.authenticate(settings.auth());
    ExceptionStatusInterceptor statuses = new ExceptionStatusInterceptor(module.serverPaths());
    for (BindableService service : module.services()) {
      ServerServiceDefinition definition = service.bindService();
      serviceNames.add(definition.getServiceDescriptor().getName());
      // Every method's series exists from the start, so dashboards and alerts see zeros, not gaps.
      metricsInterceptor.preregisterService(definition);
      ServerServiceDefinition parsed = ExceptionStatusInterceptor.parseInHandler(definition);
      // Innermost: metrics and the status mapping see the refusals, and handlers the caller's
      // Identity. Health and reflection are added below without it unless auth.open says so.
      parsed = ServerInterceptors.intercept(parsed, authenticate);
      // Interceptors run last-added first: metrics see the status the exception mapping chose,
      // and the refusals of a full queue.
      definitions.add(ServerInterceptors.intercept(
          parsed, refuseQueueFull(), statuses, metricsInterceptor));
    }
    for (ServerBuilder<?> builder : transports) {
      definitions.forEach(builder::addService);
      builder.addService(guard(health.getHealthService(), "health", authenticate));
      builder.addService(guard(ProtoReflectionServiceV1.newInstance(), "reflection",
          authenticate));
      builder.addService(guard(legacyReflection(), "reflection", authenticate));
      builder.maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, settings.maxMessageBytes()));
      builder.executor(dispatch);
      builder.callExecutor(new ServerCallExecutorSupplier() {
        @Override
        public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
          headers.discardAll(QUEUE_FULL);
          String service = call.getMethodDescriptor().getServiceName();
          if (HealthGrpc.SERVICE_NAME.equals(service)) {
            return null; // null: stay on the dispatch threads
          }
          // Each waiting call is one queued task; two dispatch threads may each admit one more.
          if (serviceNames.contains(service)
              && handlers.getQueue().size() >= settings.maxQueuedCalls()) {
            headers.put(QUEUE_FULL, "true");
            return null; // refused right here on the dispatch thread, never reaching a handler
          }
          return handlers;
        }
      });
      servers.add(builder.build());
    }
    healthServer = settings.healthPort() < 0 ? null
        : ServiceLauncher.tcp(settings.host(), settings.healthPort())
            .addService(health.getHealthService()).executor(dispatch).build();
    setHealth(ServingStatus.NOT_SERVING);
  }

  /**
   * Answers a call the executor supplier found the queue full for with RESOURCE_EXHAUSTED at once,
   * without running it: waiting behind minutes of model work helps no caller, and an unbounded
   * queue grows without limit under overload. Peers retry such calls with backoff.
   */
  private ServerInterceptor refuseQueueFull() {
    String key = settings.service() + ".max-queued-calls";
    String message = module.name() + " has " + settings.maxQueuedCalls() + " calls waiting for its "
        + settings.handlerThreads() + " handler threads, the limit " + key + " (" + envName(key)
        + "); retry later or raise it";
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!headers.containsKey(QUEUE_FULL)) {
          return next.startCall(call, headers);
        }
        call.close(Status.RESOURCE_EXHAUSTED.withDescription(message), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    };
  }

  /** A standard service, behind the bearer token unless {@code auth.open} names it. */
  private ServerServiceDefinition guard(BindableService service, String kind,
      ServerInterceptor authenticate) {
    return settings.auth().isOpen(kind) ? service.bindService()
        : ServerInterceptors.intercept(service, authenticate);
  }

  private static String envName(String key) {
    return "PIN_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  @SuppressWarnings("deprecation") // grpcurl and older clients still speak v1alpha reflection.
  private static BindableService legacyReflection() {
    return ProtoReflectionService.newInstance();
  }

  /**
   * Opens the ports and the metrics endpoint, then loads the module's models in the background;
   * health turns SERVING once that finishes.
   */
  @Override
  public void start() throws IOException {
    try {
      for (Server server : servers) {
        try {
          server.start();
        } catch (IOException e) {
          throw portInUse(e, "port", settings.port());
        }
      }
      if (healthServer != null) {
        try {
          healthServer.start();
        } catch (IOException e) {
          throw portInUse(e, "health-port", settings.healthPort());
        }
      }
      if (settings.metricsPort() >= 0) {
        try {
          metrics = new MetricsEndpoint(settings.host(), settings.metricsPort(), registry,
              module.name());
        } catch (IOException e) {
          throw portInUse(e, "metrics-port", settings.metricsPort());
        }
      }
    } catch (IOException | RuntimeException e) {
      servers.forEach(Server::shutdownNow); // the ports opened before the failing one
      if (healthServer != null) {
        healthServer.shutdownNow();
      }
      throw e;
    }
    log.info(module.name() + " service listening on " + describePorts()
        + (settings.auth().enabled() ? ", bearer tokens of " + settings.auth().tokens().size()
            + " identities required" : "")
        + (metrics != null ? ", metrics on :" + metrics.port() + "/metrics" : "")
        + (healthServer != null ? ", plaintext health on :" + healthServer.getPort() : ""));
    warmUp = new Thread(() -> {
      try {
        module.warmUp();
        ready = true;
        setHealth(ServingStatus.SERVING);
        log.info(module.name() + " service is SERVING");
      } catch (Throwable e) {
        warmUpFailure = e;
        log.error(module.name() + " service failed to load and stays NOT_SERVING", e);
      }
    }, module.name() + "-warm-up");
    warmUp.setDaemon(true);
    warmUp.start();
  }

  /**
   * A bind failure as the configuration error it is, naming the port and the setting that chose
   * it (a bare {@code BindException: Address already in use} names neither); other I/O failures
   * are returned as they are.
   */
  private IOException portInUse(IOException e, String setting, int port) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // Netty's native transport reports EADDRINUSE as its own IOException, not BindException.
      if (t instanceof java.net.BindException || t.getMessage() != null
          && t.getMessage().contains("Address already in use")) {
        String key = settings.service() + "." + setting;
        String env = envName(key);
        throw new ConfigException(key, "cannot listen on " + settings.host() + ":" + port + " ("
            + t.getMessage() + "; another pin up or service may hold it); set " + key
            + " (--" + key + "=N or " + env + ") to a free port, or 0 for any free port"
            + (setting.equals("metrics-port") ? ", or -1 to turn the metrics endpoint off" : ""));
      }
    }
    return e;
  }

  private void setHealth(ServingStatus status) {
    health.setStatus("", status);
    for (String name : serviceNames) {
      health.setStatus(name, status);
    }
  }

  private String describePorts() {
    List<String> parts = new ArrayList<>();
    for (Server server : servers) {
      int port = server.getPort();
      parts.add(port >= 0 ? settings.host() + ":" + port
          + (settings.tls().serverEnabled() ? " (TLS" + (settings.tls().clientAuth()
              .equals("require") ? ", client certificates required)" : ")") : "")
          : "in-process");
    }
    return String.join(" and ", parts);
  }

  /** Blocks until the module's warm-up finished (for tests and the launcher). */
  public boolean awaitReady(long timeout, TimeUnit unit) throws InterruptedException {
    warmUp.join(unit.toMillis(timeout));
    return ready;
  }

  /** Whether health is SERVING. */
  public boolean isReady() {
    return ready;
  }

  /** Why the warm-up failed, or null. */
  public Throwable warmUpFailure() {
    return warmUpFailure;
  }

  /** The TCP port of the first TCP transport, or -1 when there is none. */
  public int port() {
    for (Server server : servers) {
      if (server.getPort() >= 0) {
        return server.getPort();
      }
    }
    return -1;
  }

  /** Calls waiting for a handler thread (for tests). */
  int queuedCalls() {
    return handlers.getQueue().size();
  }

  /** The plaintext health-only port, or -1 when there is none. */
  public int healthPort() {
    return healthServer == null ? -1 : healthServer.getPort();
  }

  /** The metrics port, or -1 when the endpoint is off. */
  public int metricsPort() {
    return metrics == null ? -1 : metrics.port();
  }

  public String name() {
    return module.name();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The fully qualified gRPC service names this host serves (e.g. {@code pin.v1.Policy}). */
  public List<String> serviceNames() {
    return List.copyOf(serviceNames);
  }

  /** Blocks until every server terminates. */
  public void awaitTermination() throws InterruptedException {
    for (Server server : servers) {
      server.awaitTermination();
    }
  }

  /**
   * The shutdown sequence: health NOT_SERVING (load balancers stop sending), refuse new calls and
   * let in-flight ones finish within the grace period, cancel the rest, then release the module's
   * models, the handler threads and the metrics endpoint.
   */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    health.enterTerminalState();
    for (Server server : servers) {
      server.shutdown();
    }
    long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
    for (Server server : servers) {
      try {
        long left = deadline - System.nanoTime();
        if (!server.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
          log.warn(module.name() + ": calls still running after "
              + settings.shutdownGrace() + "; cancelling them");
          server.shutdownNow();
          server.awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        server.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    // A cancelled call's handler may still be inside a native inference call (ONNX Runtime,
    // PyTorch) that cancellation cannot interrupt; closing the models under it would crash the
    // JVM. So the calls being over, handlers waiting in Java are interrupted, native code gets a
    // bounded moment to return, and the models are released only once every handler has.
    handlers.shutdownNow();
    dispatch.shutdownNow();
    boolean handlersDone;
    try {
      handlersDone = handlers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      handlersDone = false;
      Thread.currentThread().interrupt();
    }
    if (handlersDone) {
      try {
        module.close();
      } catch (RuntimeException e) {
        log.warn(module.name() + ": error while releasing resources", e);
      }
    } else {
      log.warn(module.name() + ": handlers still running model code after the grace period;"
          + " leaving the models to the process exit rather than closing them under a call");
    }
    if (healthServer != null) {
      healthServer.shutdownNow();
    }
    if (metrics != null) {
      metrics.close();
    }
    registry.close();
    log.info(module.name() + " service stopped");
  }
}
