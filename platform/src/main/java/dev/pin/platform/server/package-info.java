/**
 * The service bootstrap shared by all four services: {@link dev.pin.platform.server.ServiceHost}
 * puts a {@link dev.pin.platform.server.ServiceModule} on its transports with health, reflection,
 * Prometheus metrics and graceful shutdown.
 */
package dev.pin.platform.server;
