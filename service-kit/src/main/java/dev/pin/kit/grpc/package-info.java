/**
 * gRPC mechanics every service shares: request validation that names each bad field, and the
 * translation of escaping exceptions into statuses a caller can act on.
 */
package dev.pin.kit.grpc;
