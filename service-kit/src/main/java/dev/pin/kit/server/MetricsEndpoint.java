package dev.pin.kit.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves a registry in the Prometheus text format at {@code /metrics} over plain HTTP. */
public final class MetricsEndpoint implements AutoCloseable {
  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  /** Binds {@code host:port} (port 0 picks a free one) and starts serving. */
  public MetricsEndpoint(String host, int port, PrometheusMeterRegistry registry, String service)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 16);
    // One thread: scrapes are rare and cheap; it must not compete with model inference.
    executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, service + "-metrics-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> respond(exchange, 200, CONTENT_TYPE,
        registry.scrape()));
    server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
        "Prometheus metrics of the " + service + " service are at /metrics\n"));
    server.start();
  }

  private static void respond(HttpExchange exchange, int code, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
