package dev.pin.orchestrator.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A data folder named in a run spec: a filesystem path (relative paths resolve against a base
 * folder, normally the orchestrator's working directory) or {@code classpath:<resource folder>} for
 * data shipped inside the orchestrator's jar (the demo set), so the same spec works from a checkout
 * and from a container image.
 */
public final class DataDir {
  /** Prefix that selects a classpath resource folder. */
  public static final String CLASSPATH_PREFIX = "classpath:";

  private final String spelled;
  private final Path path;
  private final String resource;
  /** Where files may be read from; null: anywhere (and messages name server paths). */
  private final DataRoots roots;

  private DataDir(String spelled, Path path, String resource, DataRoots roots) {
    this.spelled = spelled;
    this.path = path;
    this.resource = resource;
    this.roots = roots != null && roots.confined() ? roots : null;
  }

  /**
   * Resolves a folder as a spec spells it.
   *
   * @param dir the folder, e.g. {@code ../shared/data/few-shot/sst-2} or {@code
   *     classpath:demo/sentiment}
   * @param base what relative paths resolve against
   */
  public static DataDir resolve(String dir, Path base) {
    if (dir.startsWith(CLASSPATH_PREFIX)) {
      String res = dir.substring(CLASSPATH_PREFIX.length());
      while (res.startsWith("/")) {
        res = res.substring(1);
      }
      while (res.endsWith("/")) {
        res = res.substring(0, res.length() - 1);
      }
      return new DataDir(dir, null, res, null);
    }
    return new DataDir(dir, base.resolve(dir).normalize(), null, null);
  }

  /**
   * Resolves a folder as a spec spells it, within {@code roots}: a filesystem folder outside them
   * is refused before anything is read, and files inside are named as the spec spells them.
   *
   * @throws DataRoots.OutsideDataRootsException when it lies outside the roots
   */
  public static DataDir resolve(String dir, DataRoots roots)
      throws DataRoots.OutsideDataRootsException {
    if (dir.startsWith(CLASSPATH_PREFIX) || !roots.confined()) {
      return resolve(dir, roots.base());
    }
    return new DataDir(dir, roots.resolve(dir), null, roots);
  }

  /** A filesystem folder. */
  public static DataDir of(Path dir) {
    return new DataDir(dir.toString(), dir, null, null);
  }

  /** The last element of the folder's name, e.g. {@code sst-2}; used to pick dataset defaults. */
  public String baseName() {
    String s = path != null ? path.toString() : resource;
    s = s.replace('\\', '/');
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    int i = s.lastIndexOf('/');
    return i < 0 ? s : s.substring(i + 1);
  }

  /** The filesystem folder, or null for a classpath folder. */
  public Path path() {
    return path;
  }

  /** How a file in this folder is named in error messages. */
  public String describe(String relative) {
    return path != null && roots == null ? path.resolve(relative).toString()
        : spelled + "/" + relative;
  }

  /** Whether the file exists. */
  public boolean exists(String relative) {
    if (path != null) {
      if (roots != null) {
        try {
          roots.check(path.resolve(relative), describe(relative));
        } catch (DataRoots.OutsideDataRootsException e) {
          return false;
        }
      }
      return Files.isRegularFile(path.resolve(relative));
    }
    return DataDir.class.getClassLoader().getResource(resource + "/" + relative) != null;
  }

  /**
   * Opens a UTF-8 text file. Malformed UTF-8 is an error rather than silently replaced, so a file
   * in another encoding is noticed.
   *
   * @throws NoSuchFileException when the file does not exist
   */
  public Reader openText(String relative) throws IOException {
    InputStream in = openBytes(relative);
    return new BufferedReader(
        new InputStreamReader(
            in,
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)));
  }

  /**
   * Opens a file as bytes.
   *
   * @throws NoSuchFileException when the file does not exist
   */
  public InputStream openBytes(String relative) throws IOException {
    if (path != null) {
      Path file = path.resolve(relative);
      if (roots != null) {
        roots.check(file, describe(relative)); // a link out of the roots
      }
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(describe(relative), null, "no such file");
      }
      return Files.newInputStream(file);
    }
    InputStream in = DataDir.class.getClassLoader().getResourceAsStream(resource + "/" + relative);
    if (in == null) {
      throw new NoSuchFileException(describe(relative), null, "no such classpath resource");
    }
    return in;
  }

  @Override
  public String toString() {
    return spelled;
  }
}
