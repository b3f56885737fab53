package dev.pin.policy.algorithm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Checkpoints of a {@link PromptPolicy} in a directory: one file, {@value #FILE_NAME}, written to a
 * temporary name and moved into place, so a crash never leaves a half-written checkpoint behind.
 */
public final class PolicyCheckpoint {

  /** The checkpoint's file name inside its directory. */
  public static final String FILE_NAME = "policy.ckpt";

  /**
   * What was written.
   *
   * @param file the checkpoint file
   * @param sha256 SHA-256 of its bytes, lower-case hex
   * @param sizeBytes its size
   * @param writeTime how long writing took
   * @param step the gradient step it holds
   */
  public record Written(Path file, String sha256, long sizeBytes, Duration writeTime, long step) {}

  private PolicyCheckpoint() {}

  /** Writes {@code policy} into {@code directory} (created if needed). */
  public static Written save(PromptPolicy policy, Path directory) throws IOException {
    long start = System.nanoTime();
    Files.createDirectories(directory);
    Path file = directory.resolve(FILE_NAME);
    Path temp = Files.createTempFile(directory, FILE_NAME, ".tmp");
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    long step;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), sha)) {
      synchronized (policy) { // the step recorded is the step written
        step = policy.step();
        policy.save(out);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(temp);
      throw e;
    }
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return new Written(file, HexFormat.of().formatHex(sha.digest()), Files.size(file),
        Duration.ofNanos(System.nanoTime() - start), step);
  }

  /** Restores {@code policy} from {@code directory}. */
  public static void load(PromptPolicy policy, Path directory) throws IOException {
    try (InputStream in = Files.newInputStream(directory.resolve(FILE_NAME))) {
      policy.load(in);
    }
  }
}
