package dev.pin.models.importer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.maven.repository.internal.MavenRepositorySystemUtils;
import org.eclipse.aether.DefaultRepositorySystemSession;
import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.repository.LocalRepository;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.repository.RepositoryPolicy;
import org.eclipse.aether.resolution.ArtifactRequest;
import org.eclipse.aether.resolution.ArtifactResolutionException;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.transfer.AbstractTransferListener;
import org.eclipse.aether.transfer.TransferEvent;
import org.eclipse.aether.util.repository.DefaultMirrorSelector;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Resolves one artifact the way Maven would: Maven's own resolver, the local repository
 * ({@code -Dmaven.repo.local}, else {@code <localRepository>} of {@code ~/.m2/settings.xml}, else
 * {@code ~/.m2/repository}) so an artifact already there is reused, Maven Central as the remote,
 * and the {@code <mirrors>} of the user and global {@code settings.xml}. Downloads fail on a
 * checksum mismatch.
 *
 * <p>Not honoured: proxies and server credentials from {@code settings.xml}.
 */
public final class MavenArtifacts {
  private static final Logger LOG = Logger.getLogger(MavenArtifacts.class.getName());
  /** Maven's built-in central repository (the super POM's), as Maven itself uses it. */
  static final String CENTRAL = "https://repo.maven.apache.org/maven2/";

  /** Receives download progress. */
  @FunctionalInterface
  public interface Progress {
    /** {@code total} is -1 when unknown. */
    void bytes(String resource, long done, long total);
  }

  private final Path localRepository;
  private final List<String[]> mirrors; // id, url, mirrorOf
  private final boolean offline;

  /** Settings read from the environment as described in the class comment. */
  public static MavenArtifacts fromEnvironment(boolean offline) throws IOException {
    Path m2 = Path.of(System.getProperty("user.home"), ".m2");
    List<Path> settingsFiles = new ArrayList<>();
    String mavenHome = System.getenv("MAVEN_HOME");
    if (mavenHome != null) {
      settingsFiles.add(Path.of(mavenHome, "conf", "settings.xml"));
    }
    settingsFiles.add(m2.resolve("settings.xml")); // user settings override global ones
    Path local = m2.resolve("repository");
    List<String[]> mirrors = new ArrayList<>();
    for (Path f : settingsFiles) {
      if (!Files.isRegularFile(f)) {
        continue;
      }
      Document doc = parse(f);
      String lr = text(doc.getDocumentElement(), "localRepository");
      if (lr != null && !lr.isBlank()) {
        local = Path.of(lr.replace("${user.home}", System.getProperty("user.home")));
      }
      NodeList ms = doc.getElementsByTagName("mirror");
      for (int i = 0; i < ms.getLength(); i++) {
        Element m = (Element) ms.item(i);
        mirrors.add(0, new String[] {text(m, "id"), text(m, "url"), text(m, "mirrorOf")});
      }
    }
    String prop = System.getProperty("maven.repo.local");
    if (prop != null && !prop.isBlank()) {
      local = Path.of(prop);
    }
    return new MavenArtifacts(local, mirrors, offline);
  }

  MavenArtifacts(Path localRepository, List<String[]> mirrors, boolean offline) {
    this.localRepository = localRepository;
    this.mirrors = mirrors;
    this.offline = offline;
  }

  /** The local repository in use. */
  public Path localRepository() {
    return localRepository;
  }

  /**
   * Resolves {@code groupId:artifactId:version} (jar) to a file in the local repository,
   * downloading it if needed.
   *
   * @throws IOException when it cannot be resolved (offline and absent, network, checksum)
   */
  public Path resolve(String coordinates, Progress progress) throws IOException {
    RepositorySystem system = new RepositorySystemSupplier().get();
    try {
      DefaultRepositorySystemSession session = MavenRepositorySystemUtils.newSession();
      session.setLocalRepositoryManager(
          system.newLocalRepositoryManager(session, new LocalRepository(localRepository.toFile())));
      session.setChecksumPolicy(RepositoryPolicy.CHECKSUM_POLICY_FAIL);
      session.setOffline(offline);
      DefaultMirrorSelector selector = new DefaultMirrorSelector();
      for (String[] m : mirrors) {
        if (m[0] != null && m[1] != null && m[2] != null) {
          selector.add(m[0], m[1], "default", false, false, m[2], "*");
        }
      }
      session.setMirrorSelector(selector);
      session.setTransferListener(new AbstractTransferListener() {
        @Override
        public void transferStarted(TransferEvent event) {
          LOG.info("downloading " + event.getResource().getRepositoryUrl()
              + event.getResource().getResourceName());
        }

        @Override
        public void transferProgressed(TransferEvent event) {
          progress.bytes(event.getResource().getResourceName(), event.getTransferredBytes(),
              event.getResource().getContentLength());
        }
      });
      RemoteRepository central = new RemoteRepository.Builder("central", "default", CENTRAL)
          .build();
      List<RemoteRepository> repos = system.newResolutionRepositories(session, List.of(central));
      ArtifactResult result = system.resolveArtifact(session,
          new ArtifactRequest(new DefaultArtifact(coordinates), repos, null));
      return result.getArtifact().getFile().toPath();
    } catch (ArtifactResolutionException e) {
      throw new IOException("cannot resolve " + coordinates + " (local repository "
          + localRepository + (offline ? ", offline" : "") + "): " + e.getMessage(), e);
    } finally {
      system.shutdown();
    }
  }

  /**
   * Checks {@code file} against the {@code .sha1} Maven stored next to it.
   *
   * @return true when verified, false when there is no {@code .sha1} to check against
   * @throws IOException on a mismatch
   */
  public static boolean verifySha1(Path file) throws IOException {
    Path sha1File = file.resolveSibling(file.getFileName() + ".sha1");
    if (!Files.isRegularFile(sha1File)) {
      return false;
    }
    String expected = Files.readString(sha1File, StandardCharsets.US_ASCII).trim().split("\\s+")[0];
    String actual = digest(file, "SHA-1");
    if (!actual.equalsIgnoreCase(expected)) {
      throw new IOException("SHA-1 of " + file + " is " + actual + " but Maven recorded "
          + expected + "; delete the file and import again");
    }
    return true;
  }

  static String digest(Path file, String algorithm) throws IOException {
    try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file),
        MessageDigest.getInstance(algorithm))) {
      byte[] buf = new byte[1 << 20];
      while (in.read(buf) >= 0) {
        // Digest as we read.
      }
      return HexFormat.of().formatHex(in.getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " unavailable", e);
    }
  }

  private static Document parse(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
      dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      return dbf.newDocumentBuilder().parse(in);
    } catch (Exception e) {
      throw new IOException("cannot read Maven settings " + f + ": " + e.getMessage(), e);
    }
  }

  private static String text(Element parent, String child) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(child)) {
        return e.getTextContent().trim();
      }
    }
    return null;
  }
}
