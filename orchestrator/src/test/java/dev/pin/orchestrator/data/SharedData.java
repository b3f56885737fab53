package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the read-only benchmark data at {@code ../shared/data} from the repository root. */
final class SharedData {
  private SharedData() {}

  /**
   * The shared data folder, or skips the test when this checkout has none. Surefire runs tests in
   * the module folder, so the repository root is its parent.
   */
  static Path root() {
    Path moduleDir = Path.of("").toAbsolutePath();
    for (Path candidate :
        new Path[] {moduleDir.resolve("../../shared/data"), moduleDir.resolve("../shared/data")}) {
      if (Files.isDirectory(candidate.resolve("few-shot"))) {
        return candidate.normalize();
      }
    }
    assumeTrue(false, "../shared/data not present next to the repository; skipping");
    return null;
  }
}
