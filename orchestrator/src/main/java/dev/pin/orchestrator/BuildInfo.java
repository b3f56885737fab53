package dev.pin.orchestrator;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version and commit this build was made from ({@code pin-build.properties}, filled in by
 * Maven), for {@code pin --version} and the provenance of every run.
 *
 * @param version the Maven project version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param commit the git commit ({@code unknown} when the build was not given one)
 */
public record BuildInfo(String version, String commit) {
  private static final BuildInfo CURRENT = read();

  /** This build's information; "development build" when the resource is missing or unfiltered. */
  public static BuildInfo current() {
    return CURRENT;
  }

  private static BuildInfo read() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/pin-build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // Fall through to the defaults: a version string is not worth failing a command for.
    }
    return new BuildInfo(value(p, "version", "development build"), value(p, "commit", "unknown"));
  }

  /** A property, or {@code fallback} when missing, blank or left unfiltered ({@code ${…}}). */
  private static String value(Properties p, String key, String fallback) {
    String v = p.getProperty(key, "").strip();
    return v.isEmpty() || v.startsWith("${") ? fallback : v;
  }

  /** {@code 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f)}. */
  @Override
  public String toString() {
    return version + " (commit " + commit + ")";
  }
}
