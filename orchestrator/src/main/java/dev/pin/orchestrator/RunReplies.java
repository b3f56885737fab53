package dev.pin.orchestrator;

import dev.pin.kit.grpc.ServerPaths;
import dev.pin.v1.CheckpointRef;
import dev.pin.v1.Run;
import dev.pin.v1.RunEvent;
import java.net.URI;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Runs and events as a caller gets them: without the server's folders. The store keeps what was
 * written (a run's checkpoint as the policy service named it, failure reasons in full); a reply
 * names a checkpoint by the form relative to the policy service's checkpoint folder ({@code
 * checkpoint:RUN/step-N}, which LoadCheckpoint accepts) even when an older policy service stored
 * a {@code file:} URI, and failure reasons lose the server paths {@link ServerPaths} knows.
 */
final class RunReplies {
  /** A checkpoint folder as SaveCheckpoint lays it out: {@code <checkpoint-dir>/<run>/step-<n>}. */
  private static final Pattern STEP_FOLDER = Pattern.compile("step-\\d+");

  private final ServerPaths paths;

  RunReplies(ServerPaths paths) {
    this.paths = paths;
  }

  /** {@code run} as a caller gets it. */
  Run run(Run run) {
    if (!run.hasCheckpoint() && run.getError().isEmpty()) {
      return run;
    }
    Run.Builder b = run.toBuilder();
    if (run.hasCheckpoint()) {
      b.setCheckpoint(checkpoint(run.getCheckpoint()));
    }
    if (!run.getError().isEmpty()) {
      b.setError(paths.redact(run.getError()));
    }
    return b.build();
  }

  /** {@code event} as a caller gets it. */
  RunEvent event(RunEvent event) {
    return switch (event.getEventCase()) {
      case CHECKPOINT -> event.toBuilder().setCheckpoint(checkpoint(event.getCheckpoint())).build();
      case STATE -> {
        String reason = paths.redact(event.getState().getReason());
        yield reason.equals(event.getState().getReason()) ? event
            : event.toBuilder().setState(event.getState().toBuilder().setReason(reason)).build();
      }
      case MESSAGE -> {
        String message = paths.redact(event.getMessage());
        yield message.equals(event.getMessage()) ? event
            : event.toBuilder().setMessage(message).build();
      }
      default -> event;
    };
  }

  /**
   * A checkpoint with a {@code file:} URI of an older policy service renamed to its {@code
   * checkpoint:RUN/step-N} form; a {@code file:} URI of another shape loses its location (the
   * store keeps it, and a resume passes the stored one).
   */
  static CheckpointRef checkpoint(CheckpointRef ref) {
    String uri = ref.getUri();
    if (!uri.startsWith("file:")) {
      return ref;
    }
    String relative = "";
    try {
      Path dir = Path.of(URI.create(uri)).normalize();
      int n = dir.getNameCount();
      if (n >= 2 && STEP_FOLDER.matcher(dir.getName(n - 1).toString()).matches()) {
        relative = "checkpoint:" + dir.getName(n - 2) + "/" + dir.getName(n - 1);
      }
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      // not a file URI this JVM can read: leave the location out
    }
    return ref.toBuilder().setUri(relative).build();
  }
}
