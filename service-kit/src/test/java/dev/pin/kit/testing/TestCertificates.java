package dev.pin.kit.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away certificate authority for TLS tests, made with the JDK's {@code keytool} (no
 * dependency, nothing from the network): a CA, and leaf certificates it signs for {@code
 * localhost} and {@code 127.0.0.1}, written as the PEM files the {@code tls.*} settings take.
 */
public final class TestCertificates {
  private static final String PASS = "changeit";
  private final Path dir;

  /** A new CA in {@code dir} ({@code ca.crt}). */
  public TestCertificates(Path dir) throws IOException, InterruptedException {
    this.dir = dir;
    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=pin-test-ca", "-ext", "bc:c", "-validity", "2",
        "-keystore", store("ca").toString());
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", store("ca").toString(),
        "-file", ca().toString());
  }

  /** The CA's certificate (PEM), for {@code tls.ca}. */
  public Path ca() {
    return dir.resolve("ca.crt");
  }

  /**
   * A certificate signed by the CA for localhost and 127.0.0.1, with its key: {@code NAME.crt}
   * and {@code NAME.key} (PKCS#8 PEM), for {@code tls.cert} and {@code tls.key}.
   */
  public Leaf issue(String name) throws IOException, InterruptedException {
    Path store = store(name);
    keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=" + name, "-validity", "2", "-keystore", store.toString());
    Path csr = dir.resolve(name + ".csr");
    keytool("-certreq", "-alias", name, "-keystore", store.toString(), "-file", csr.toString());
    Path cert = dir.resolve(name + ".crt");
    keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", store("ca").toString(),
        "-infile", csr.toString(), "-outfile", cert.toString(), "-validity", "2",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-ext", "EKU=serverAuth,clientAuth");
    Path key = dir.resolve(name + ".key");
    try (InputStream in = Files.newInputStream(store)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASS.toCharArray());
      Key k = ks.getKey(name, PASS.toCharArray());
      String pem = "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(k.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(key, pem);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e);
    }
    return new Leaf(cert, key);
  }

  /** A certificate and its private key. */
  public record Leaf(Path cert, Path key) {}

  private Path store(String name) {
    return dir.resolve(name + ".p12");
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS, "-keypass", PASS,
        "-noprompt"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: "
          + new String(out, StandardCharsets.UTF_8));
    }
  }
}
