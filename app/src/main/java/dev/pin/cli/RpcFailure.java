package dev.pin.cli;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.PrintStream;

/** How every client command reports a failed call: one message and one exit code per status. */
final class RpcFailure {
  private RpcFailure() {}

  /**
   * Prints {@code pin COMMAND: …} naming the service that failed (of {@code services}, the one
   * whose channel tagged the error) and returns the exit code of the status.
   */
  static int report(PrintStream err, String command, StatusRuntimeException e,
      ServiceAddress... services) {
    Status status = e.getStatus();
    String service = ServiceAddress.serviceOf(e).orElse(null);
    ServiceAddress failed = null;
    for (ServiceAddress s : services) {
      if (s.service().equals(service)) {
        failed = s;
      }
    }
    if (failed == null && services.length == 1) {
      failed = services[0];
    }
    err.println("pin " + command + ": " + (failed != null ? failed.explain(status)
        : status.getCode() + ": " + status.getDescription()));
    return Pin.ExitCodes.of(status.getCode());
  }
}
