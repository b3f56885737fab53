package dev.pin.orchestrator.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code orchestrator.data-roots}: reads confined to folders, decided before anything is read. */
class DataRootsTest {
  @TempDir Path home;

  @Test
  void insideTheRootsResolvesOutsideIsRefusedTheSameWhetherItExists() throws Exception {
    Path data = Files.createDirectories(home.resolve("data/sst-2"));
    Files.createDirectories(home.resolve("secret"));
    DataRoots roots = DataRoots.of(home, List.of(home.resolve("data")));
    assertTrue(roots.confined());
    assertEquals(data, roots.resolve("data/sst-2"));
    assertEquals(home.resolve("data/missing"), roots.resolve("data/missing"),
        "a missing path inside is the loader's NOT_FOUND to report");
    String existing = assertThrows(DataRoots.OutsideDataRootsException.class,
        () -> roots.resolve("secret")).getMessage().replace("'secret'", "'X'");
    for (String outside : List.of("nothing", "/etc", "data/../secret", "../x", "dat")) {
      String m = assertThrows(DataRoots.OutsideDataRootsException.class,
          () -> roots.resolve(outside)).getMessage();
      assertEquals(existing, m.replace("'" + outside + "'", "'X'"));
      assertFalse(m.contains(home.toString()), m);
    }
  }

  @Test
  void aLinkInsideThatPointsOutsideIsRefused() throws Exception {
    Files.createDirectories(home.resolve("data"));
    Path secret = Files.writeString(Files.createDirectories(home.resolve("secret"))
        .resolve("train.tsv"), "private\t1\n");
    Files.createSymbolicLink(home.resolve("data/link"), secret.getParent());
    DataRoots roots = DataRoots.of(home, List.of(home.resolve("data")));
    assertThrows(DataRoots.OutsideDataRootsException.class, () -> roots.resolve("data/link"));
    // A file link inside a folder that is inside: refused when the file is opened.
    Files.createDirectories(home.resolve("data/ok"));
    Files.createSymbolicLink(home.resolve("data/ok/train.tsv"), secret);
    DataDir dir = DataDir.resolve("data/ok", roots);
    assertThrows(DataRoots.OutsideDataRootsException.class, () -> dir.openBytes("train.tsv"));
    assertFalse(dir.exists("train.tsv"));
    assertEquals("data/ok/train.tsv", dir.describe("train.tsv"), "named as the spec spelled it");
  }

  @Test
  void withoutRootsEveryPathIsReadAsBefore() throws Exception {
    DataRoots roots = DataRoots.unrestricted(home);
    assertFalse(roots.confined());
    assertEquals(Path.of("/etc"), roots.resolve("/etc"));
    assertEquals(home.resolve("x/y.tsv").toString(),
        DataDir.resolve("x", roots).describe("y.tsv"));
  }
}
