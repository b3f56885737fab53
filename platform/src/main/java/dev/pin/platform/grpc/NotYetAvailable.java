package dev.pin.platform.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The answer of an RPC whose contract is published but whose computation has not landed yet:
 * UNIMPLEMENTED, after the request has been validated, saying which capability is missing. A
 * request never gets a pretend result.
 */
public final class NotYetAvailable {
  private NotYetAvailable() {}

  /** UNIMPLEMENTED: {@code "<what> is not available in this build yet (<which issue>)"}. */
  public static StatusRuntimeException of(String what, String arrivesWith) {
    return Status.UNIMPLEMENTED
        .withDescription(what + " is not available in this build yet; it arrives with "
            + arrivesWith + ". The request itself is valid.")
        .asRuntimeException();
  }
}
