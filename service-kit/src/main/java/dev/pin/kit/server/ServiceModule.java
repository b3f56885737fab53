package dev.pin.kit.server;

import dev.pin.kit.config.ServerSettings;
import dev.pin.kit.grpc.ServerPaths;
import io.grpc.BindableService;
import java.util.List;

/**
 * What a service hands the shared bootstrap: its gRPC services, how to load its models, and how
 * to release them. {@link ServiceHost} does the rest (transports, health, reflection, metrics,
 * shutdown) the same way for all four services.
 */
public interface ServiceModule extends AutoCloseable {
  /** Short name: {@code policy}, {@code reward}, {@code scorer} or {@code orchestrator}. */
  String name();

  /** How its server is exposed (ports, limits, shutdown grace). */
  ServerSettings server();

  /** The gRPC services to expose. */
  List<BindableService> services();

  /**
   * The server's folders whose absolute paths its replies must not carry (the model store, the
   * checkpoint folder), each with the label that stands for it in a status description.
   */
  default ServerPaths serverPaths() {
    return ServerPaths.NONE;
  }

  /**
   * Loads what the service needs before it can answer (models, stores). Runs after the ports are
   * open, with health NOT_SERVING; health turns SERVING when it returns. An exception leaves the
   * service NOT_SERVING and is logged.
   */
  default void warmUp() throws Exception {}

  /** Releases models, sessions and executors after the servers have stopped. */
  @Override
  default void close() {}
}
