package dev.pin.models.store;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.pin.models.onnx.Precision;
import dev.pin.models.tokenizer.ByteLevelBpeTokenizer;
import dev.pin.models.tokenizer.TextTokenizer;
import dev.pin.models.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A model directory and its manifest.
 *
 * @param dir the directory
 * @param manifest its parsed {@code manifest.json}
 */
public record ModelDir(Path dir, ModelManifest manifest) {

  /**
   * Opens {@code dir}, checking that the manifest and every file it lists are present.
   *
   * @throws IOException naming what is missing
   */
  public static ModelDir open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "model directory does not exist");
    }
    ModelManifest m = ModelManifest.read(dir);
    List<String> missing = new ArrayList<>();
    for (var e : m.files().entrySet()) {
      if (!Files.isRegularFile(dir.resolve(e.getValue()))) {
        missing.add(e.getKey() + " file " + e.getValue());
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException("model '" + m.name() + "' in " + dir + " is incomplete: missing "
          + String.join(", ", missing) + " (re-import it)");
    }
    return new ModelDir(dir, m);
  }

  /** Store name. */
  public String name() {
    return manifest.name();
  }

  /** {@code model.onnx}. */
  public Path modelFile() {
    return dir.resolve(manifest.file("model"));
  }

  /**
   * The graph file for {@code precision}.
   *
   * @throws IllegalStateException when this model has no such variant
   */
  public Path modelFile(Precision precision) {
    String f = manifest.files().get(precision.fileRole());
    if (f == null) {
      throw new IllegalStateException("model " + name() + " has no " + precision
          + " variant (files: " + manifest.files().keySet() + "); create it with: pin models"
          + " import --int8 " + name());
    }
    return dir.resolve(f);
  }

  /** {@code vocab.txt}. */
  public Path vocabFile() {
    return dir.resolve(manifest.file("vocab"));
  }

  /** The WordPiece tokenizer described by the manifest. */
  public WordPieceTokenizer tokenizer() throws IOException {
    List<String> specials = new ArrayList<>();
    manifest.specialTokens().values().forEach(t -> specials.add(t.token()));
    return WordPieceTokenizer.fromVocab(vocabFile(), manifest.doLowerCase(), specials);
  }

  /**
   * The HuggingFace tokenizer of the manifest's {@code tokenizer} file (DJL's bundled native
   * library, offline); the caller closes it. Used for byte-level BPE models such as GPT-2.
   */
  public HuggingFaceTokenizer huggingFaceTokenizer() throws IOException {
    return HuggingFaceTokenizer.builder()
        .optTokenizerPath(dir.resolve(manifest.file("tokenizer")))
        .optAddSpecialTokens(false)
        .build();
  }

  /**
   * The tokenizer of a BERT-family encoder: WordPiece for BERT ({@code vocab} file), byte-level
   * BPE framed by the {@code cls}/{@code sep} special tokens ({@code <s>}, {@code </s>}) for
   * RoBERTa. A byte-level tokenizer holds a native handle; it lives as long as the JVM (models
   * are opened once per process).
   */
  public TextTokenizer textTokenizer() throws IOException {
    if (manifest.files().containsKey("vocab")) {
      return tokenizer();
    }
    return ByteLevelBpeTokenizer.open(dir.resolve(manifest.file("tokenizer")),
        manifest.specialTokens().get("cls").token(), manifest.specialTokens().get("sep").token());
  }

  /** Whether the model file's SHA-256 matches the manifest. */
  public boolean verifyChecksum() throws IOException {
    return sha256(modelFile()).equalsIgnoreCase(manifest.modelSha256());
  }

  /** Hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file),
        MessageDigest.getInstance("SHA-256"))) {
      byte[] buf = new byte[1 << 20];
      while (in.read(buf) >= 0) {
        // Digest as we read.
      }
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
