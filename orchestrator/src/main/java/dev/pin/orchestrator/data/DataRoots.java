package dev.pin.orchestrator.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the orchestrator may read the data a request names: relative folders resolve against
 * {@code orchestrator.data-dir}; with {@code orchestrator.data-roots} set, only folders and files
 * inside those roots are read (symbolic links followed before the check), anything else is
 * refused with {@link OutsideDataRootsException} (gRPC: PERMISSION_DENIED) before it is touched,
 * so the reply says nothing of whether it exists or what it holds, and error messages name files
 * as the request spelled them, never by their server path. Unset (the laptop default): any path
 * the process can read, as before.
 */
public final class DataRoots {
  private final Path base;
  private final List<Path> roots;

  private DataRoots(Path base, List<Path> roots) {
    this.base = base;
    this.roots = roots;
  }

  /** Any path; relative ones against {@code base}. */
  public static DataRoots unrestricted(Path base) {
    return new DataRoots(base, List.of());
  }

  /** Only paths inside {@code roots} (none: unrestricted); relative ones against {@code base}. */
  public static DataRoots of(Path base, List<Path> roots) {
    List<Path> normal = new ArrayList<>();
    for (Path root : roots) {
      normal.add(root.toAbsolutePath().normalize());
    }
    return new DataRoots(base, List.copyOf(normal));
  }

  /** What relative paths resolve against. */
  public Path base() {
    return base;
  }

  /** Whether reads are confined to roots (and messages keep server paths to themselves). */
  public boolean confined() {
    return !roots.isEmpty();
  }

  /**
   * The folder or file {@code spelled} names, resolved against the base.
   *
   * @throws OutsideDataRootsException when confined and it lies outside every root
   */
  public Path resolve(String spelled) throws OutsideDataRootsException {
    Path path;
    try {
      path = base.resolve(spelled).toAbsolutePath().normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw new OutsideDataRootsException(spelled);
    }
    check(path, spelled);
    return path;
  }

  /**
   * Checks a path about to be read: inside a root lexically and, when it exists, once symbolic
   * links are resolved too.
   *
   * @throws OutsideDataRootsException when confined and it is not
   */
  public void check(Path path, String spelled) throws OutsideDataRootsException {
    if (!confined()) {
      return;
    }
    Path normal = path.toAbsolutePath().normalize();
    if (roots.stream().noneMatch(normal::startsWith)) {
      throw new OutsideDataRootsException(spelled);
    }
    if (Files.exists(normal)) {
      try {
        Path real = normal.toRealPath();
        for (Path root : roots) {
          if (Files.exists(root) && real.startsWith(root.toRealPath())) {
            return;
          }
        }
      } catch (IOException e) {
        // unreadable: refused like a path outside
      }
      throw new OutsideDataRootsException(spelled);
    }
  }

  /** A data path outside {@code orchestrator.data-roots}. */
  public static final class OutsideDataRootsException extends IOException {
    private static final long serialVersionUID = 1L;

    OutsideDataRootsException(String spelled) {
      super("'" + spelled + "' is outside the folders this orchestrator reads data from "
          + "(orchestrator.data-roots); put the data under one of them, or use a path relative "
          + "to the data folder");
    }
  }
}
