/**
 * The service bootstrap shared by all four services: {@link dev.pin.kit.server.ServiceHost}
 * puts a {@link dev.pin.kit.server.ServiceModule} on its transports with health, reflection,
 * Prometheus metrics and graceful shutdown.
 */
package dev.pin.kit.server;
