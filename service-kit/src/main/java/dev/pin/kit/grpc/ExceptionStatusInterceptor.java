package dev.pin.kit.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an exception escaping a handler into a status a caller can act on: a {@link
 * StatusRuntimeException} keeps its status; anything else is a bug and becomes INTERNAL with the
 * exception's message (gRPC's own default, UNKNOWN with no description, tells the caller nothing).
 * Every status description leaving the server is cut to {@link #MAX_DESCRIPTION} bytes of UTF-8:
 * it travels percent-encoded in an HTTP/2 header (8 KiB by default, up to three bytes per byte),
 * and one that echoes a megabyte of the caller's input breaks the connection for every call on it.
 *
 * <p>Before it is cut, a description loses the server's own folders ({@link ServerPaths}): an
 * error from deep inside (a model file ONNX Runtime cannot load) names them by their setting, and
 * the full description goes to the log.
 *
 * <p>Bytes that are not a valid request message are the caller's mistake, not ours: with {@link
 * #parseInHandler} the request is parsed inside the handler's listener, where this interceptor
 * answers INVALID_ARGUMENT and logs one line (gRPC itself would parse before any interceptor runs,
 * answer UNKNOWN "Application error processing RPC" and log a stack trace per request).
 */
public final class ExceptionStatusInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ExceptionStatusInterceptor.class);
  /** Longest status description sent, in bytes of UTF-8. */
  public static final int MAX_DESCRIPTION = 2048;

  private final ServerPaths serverPaths;

  /** An interceptor that redacts nothing. */
  public ExceptionStatusInterceptor() {
    this(ServerPaths.NONE);
  }

  /** An interceptor that keeps {@code serverPaths} out of the descriptions it sends. */
  public ExceptionStatusInterceptor(ServerPaths serverPaths) {
    this.serverPaths = serverPaths;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> serverCall, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall<Q, R> call = new ForwardingServerCall.SimpleForwardingServerCall<>(serverCall) {
      @Override
      public void close(Status status, Metadata trailers) {
        Status redacted = serverPaths.redact(status);
        if (redacted != status) {
          log.info("{} answered {} (server paths left out of the reply): {}",
              getMethodDescriptor().getFullMethodName(), status.getCode(),
              status.getDescription());
        }
        super.close(truncate(redacted), trailers);
      }
    };
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new SimpleForwardingServerCallListener<>(delegate) {
      /** Set once this guard has closed the call: the handler then hears nothing more. */
      private volatile boolean closedHere;

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
        if (closedHere) {
          return; // e.g. the half-close after a malformed message: no request, nothing to do
        }
        try {
          r.run();
        } catch (VirtualMachineError e) {
          throw e;
        } catch (RuntimeException | Error e) {
          Status status = toStatus(e, call.getMethodDescriptor().getFullMethodName());
          closedHere = true;
          try {
            call.close(status, new Metadata());
          } catch (IllegalStateException alreadyClosed) {
            log.debug("call already closed", alreadyClosed);
          }
        }
      }
    };
  }

  /**
   * {@code service} with its requests parsed inside the handler (see the class comment), so that
   * malformed bytes reach this interceptor. Intercept the result with this interceptor.
   */
  public static ServerServiceDefinition parseInHandler(ServerServiceDefinition service) {
    return ServerInterceptors.useMarshalledMessages(service, RawBytes.MARSHALLER);
  }

  /** {@code status} with its description cut to {@link #MAX_DESCRIPTION} bytes of UTF-8. */
  public static Status truncate(Status status) {
    String d = status.getDescription();
    if (d == null || d.length() <= MAX_DESCRIPTION / 4
        || d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_DESCRIPTION) {
      return status;
    }
    int budget = MAX_DESCRIPTION - 64; // room for the note on what was cut
    int end = 0;
    while (end < d.length()) {
      int cp = d.codePointAt(end);
      int bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (budget < bytes) {
        break;
      }
      budget -= bytes;
      end += Character.charCount(cp);
    }
    return status.withDescription(d.substring(0, end) + "… (" + (d.length() - end)
        + " more characters)");
  }

  /** The status an exception stands for. */
  public static Status toStatus(Throwable e, String where) {
    if (e instanceof StatusRuntimeException sre) {
      if (sre.getCause() instanceof InvalidProtocolBufferException bad) {
        // The protobuf marshaller reports a malformed request as INTERNAL; it is the caller's.
        log.warn("malformed request to {}: {}", where, bad.getMessage());
        return Status.INVALID_ARGUMENT.withDescription("the request is not a valid message of "
            + "this method's request type (" + bad.getMessage() + "); check that the client "
            + "uses the same .proto contract");
      }
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
