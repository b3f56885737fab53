package dev.pin.reward.task;

import com.google.protobuf.CodedOutputStream;
import dev.pin.v1.TaskSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Content-hash handles: {@code "task-" + first 16 hex digits of SHA-256(canonical bytes)}.
 *
 * <p>The bytes are protobuf's deterministic serialization (fields in number order, map entries
 * sorted by key) of the canonical spec (see {@link TaskCanonicalizer}), prefixed with a version tag
 * so a future change of the canonical form cannot collide with old handles. Deterministic
 * serialization is stable for one protobuf-java version, and every replica runs the same build.
 */
public final class TaskHandles {

  /** Bumped whenever the canonical form changes. */
  static final String VERSION_TAG = "pin.v1.TaskSpec/1\n";

  private TaskHandles() {}

  /**
   * The handle of a spec, which should already be canonical.
   *
   * @param canonical the canonical spec
   * @return e.g. {@code "task-3f2a9c0d5e6b7a81"}
   */
  public static String handleOf(TaskSpec canonical) {
    return "task-" + HexFormat.of().formatHex(sha256(canonical), 0, 8);
  }

  static byte[] sha256(TaskSpec spec) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(spec.getSerializedSize() + 32);
      bytes.write(VERSION_TAG.getBytes(StandardCharsets.UTF_8));
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      spec.writeTo(out);
      out.flush();
      return MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
