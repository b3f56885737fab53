package dev.pin.platform.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an exception escaping a handler into a status a caller can act on: a {@link
 * StatusRuntimeException} keeps its status; anything else is a bug and becomes INTERNAL with the
 * exception's message (gRPC's own default, UNKNOWN with no description, tells the caller nothing).
 */
public final class ExceptionStatusInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ExceptionStatusInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        guard(() -> super.onMessage(message));
      }

      @Override
      public void onHalfClose() {
        guard(super::onHalfClose);
      }

      @Override
      public void onReady() {
        guard(super::onReady);
      }

      private void guard(Runnable r) {
        try {
          r.run();
        } catch (VirtualMachineError e) {
          throw e;
        } catch (RuntimeException | Error e) {
          Status status = toStatus(e, call.getMethodDescriptor().getFullMethodName());
          try {
            call.close(status, new Metadata());
          } catch (IllegalStateException alreadyClosed) {
            log.debug("call already closed", alreadyClosed);
          }
        }
      }
    };
  }

  /** The status an exception stands for. */
  public static Status toStatus(Throwable e, String where) {
    if (e instanceof StatusRuntimeException sre) {
      return sre.getStatus();
    }
    if (e instanceof StatusException se) {
      return se.getStatus();
    }
    log.error("unexpected error in " + where, e);
    return Status.INTERNAL
        .withDescription("internal error in " + where + ": " + e + " (a bug: please report it)")
        .withCause(e);
  }
}
